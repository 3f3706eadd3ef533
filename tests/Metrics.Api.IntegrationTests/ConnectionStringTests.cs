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
    public void A_url_with_several_hosts_writes_to_the_primary_and_rechecks_roles_every_2_seconds()
    {
        var b = ConnectionStrings.ParsePostgres("postgresql://metrics:pw@10.0.0.1:5432,10.0.0.2:5433,[::1]/metrics");

        b.Host.Should().Be("10.0.0.1:5432,10.0.0.2:5433,[::1]:5432");
        b.TargetSessionAttributes.Should().Be("primary", "a standby refuses writes");
        b.HostRecheckSeconds.Should().Be(2, "a promoted standby is found within seconds");
        (b.Username, b.Password, b.Database).Should().Be(("metrics", "pw", "metrics"));
        ConnectionStrings.ParsePostgres("postgresql://u@a,b/db?target_session_attrs=prefer-standby").TargetSessionAttributes.Should().Be("prefer-standby");
        ConnectionStrings.ParsePostgres("Host=a,b;Target Session Attributes=any").TargetSessionAttributes.Should().Be("any");
        ConnectionStrings.ParsePostgres("Host=a,b").TargetSessionAttributes.Should().Be("primary");
    }

    [Fact]
    public void A_url_with_a_bad_port_is_refused_naming_it()
    {
        var act = () => ConnectionStrings.ParsePostgres("postgresql://u@a:5432,b:x/db");

        act.Should().Throw<ArgumentException>().WithMessage("*'b:x'*");
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
