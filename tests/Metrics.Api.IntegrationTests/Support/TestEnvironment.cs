using Metrics.Infrastructure.Configuration;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>Where the real PostgreSQL and Redis for tests are; ./build/test sets both.</summary>
internal static class TestEnvironment
{
    public static string DatabaseUrl =>
        Environment.GetEnvironmentVariable("TEST_TIMESCALE_URL") ?? "postgresql://metrics:metrics@127.0.0.1:55433/metrics_test";

    public static string RedisUrl =>
        Environment.GetEnvironmentVariable("TEST_REDIS_URL") ?? "redis://127.0.0.1:56380";

    public static string DatabaseConnectionString => ConnectionStrings.ParsePostgres(DatabaseUrl).ConnectionString;

    public static (string Host, int Port) DatabaseEndpoint
    {
        get
        {
            var b = ConnectionStrings.ParsePostgres(DatabaseUrl);
            return (b.Host!, b.Port);
        }
    }

    public static (string Host, int Port) RedisEndpoint
    {
        get
        {
            return ConnectionStrings.ParseRedis(RedisUrl).EndPoints[0] switch
            {
                System.Net.DnsEndPoint dns => (dns.Host, dns.Port),
                System.Net.IPEndPoint ip => (ip.Address.ToString(), ip.Port),
                var other => throw new InvalidOperationException($"Unexpected Redis endpoint {other}."),
            };
        }
    }
}
