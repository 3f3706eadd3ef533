using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Metrics.Api.Hosting;

/// <summary>
/// <c>/health</c> (the old answer: PostgreSQL and Redis), <c>/health/live</c> (the process answers)
/// and <c>/health/ready</c> (PostgreSQL reachable and migrated, not shutting down; Redis reported,
/// degraded but ready without it). Unhealthy is a 503.
/// </summary>
internal static class HealthEndpoints
{
    public static WebApplication MapHealthEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health", new HealthCheckOptions { Predicate = c => !c.Tags.Contains("ready-only"), ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = HealthResponse.WriteAsync });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = c => c.Tags.Contains("ready") || c.Tags.Contains("ready-only"),
            ResponseWriter = HealthResponse.WriteAsync,
        });
        return app;
    }
}

/// <summary>Not ready once shutdown began, so load balancers stop sending new work while in-flight requests finish.</summary>
internal sealed class ShutdownHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("Shutting down.")
            : HealthCheckResult.Healthy());
}
