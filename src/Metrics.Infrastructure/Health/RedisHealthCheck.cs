using Metrics.Infrastructure.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Metrics.Infrastructure.Health;

/// <summary>Redis only accelerates reads, so its absence degrades the service rather than failing it.</summary>
internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!redis.IsConnected)
        {
            return HealthCheckResult.Degraded("Redis is not connected; reads are served from PostgreSQL.");
        }

        try
        {
            await redis.GetDatabase().PingAsync();
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (RedisConventions.IsUnavailable(ex))
        {
            return HealthCheckResult.Degraded("Redis does not answer; reads are served from PostgreSQL.");
        }
    }
}
