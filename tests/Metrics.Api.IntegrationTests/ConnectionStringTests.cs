using Metrics.Infrastructure.Configuration;
using Npgsql;
using StackExchange.Redis;

namespace Metrics.Api.IntegrationTests;

/// <summary>TIMESCALE_URL and REDIS_URL accept the old service's URL forms and the clients' native formats.</summary>
public sealed class ConnectionStringTests
{
    [Fact]
    public void A_postgres_url_becomes_an_npgsql_connection_string_with_a_short_connect_timeout()
    {
        var b = ConnectionStrings.ParsePostgres("postgresql://ml%40lab:p%3Ass@db.internal:6543/metrics?sslmode=require");

        b.Host.Should().Be("db.internal");
        b.Port.Should().Be(6543);
        b.Database.Should().Be("metrics");
        b.Username.Should().Be("ml@lab");
        b.Password.Should().Be("p:ss");
        b.SslMode.Should().Be(SslMode.Require);
        b.Timeout.Should().Be(5);
    }

    [Fact]
    public void A_postgres_url_without_port_uses_5432_and_an_npgsql_string_passes_through()
    {
        ConnectionStrings.ParsePostgres("postgres://u:p@localhost/db").Port.Should().Be(5432);
        var native = ConnectionStrings.ParsePostgres("Host=h;Port=7;Database=d;Username=u;Timeout=9");
        (native.Host, native.Port, native.Timeout).Should().Be(("h", 7, 9));
    }

    [Fact]
    public void A_redis_url_keeps_host_port_password_and_database_and_fails_fast()
    {
        var o = ConnectionStrings.ParseRedis("redis://:s3cret@cache:6380/2");

        o.EndPoints.Should().ContainSingle().Which.ToString().Should().Be("Unspecified/cache:6380");
        o.Password.Should().Be("s3cret");
        o.DefaultDatabase.Should().Be(2);
        o.AbortOnConnectFail.Should().BeFalse("the service starts without Redis");
        o.BacklogPolicy.Should().Be(BacklogPolicy.FailFast);
    }

    [Fact]
    public void A_redis_configuration_string_passes_through() =>
        ConnectionStrings.ParseRedis("localhost:6390,password=x").Password.Should().Be("x");
}
