using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Metrics.Application.Common.Telemetry;
using Metrics.Application.Metrics.Commands.WriteMetricBatch;
using Metrics.Infrastructure.Configuration;
using Metrics.Application.SystemMetrics.Commands.WriteSystemMetricBatch;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.RateLimiting;

namespace Metrics.Api.Security;

/// <summary>
/// Per-key limits (never per unauthenticated input: requests without a key, e.g. with
/// AUTH_MODE=none, are not limited). RATE_LIMIT_REQUESTS (requests/s, default 200, bursts of twice
/// that), RATE_LIMIT_METRICS (metrics written/s, default 100,000, bursts of at least one full batch),
/// EXPENSIVE_READS_PER_KEY (concurrent downsampled, time-bucketed and cross-run reads, default 8),
/// LIVE_CONNECTIONS_PER_KEY (open hub and raw WebSocket connections, default 100); 0 turns one off.
/// Over a limit: 429 with Retry-After and a problem.
/// </summary>
public sealed class RateLimitOptions
{
    public const string ExpensiveReads = "expensive-reads";
    public const string LiveConnections = "live-connections";

    public int RequestsPerSecond { get; set; } = 200;

    public int MetricsPerSecond { get; set; } = 100_000;

    public int ExpensiveReadsPerKey { get; set; } = 8;

    public int LiveConnectionsPerKey { get; set; } = 100;
}

internal static class RateLimits
{
    public static IServiceCollection AddApiRateLimits(this IServiceCollection services, IConfiguration configuration, int maxBatchSize)
    {
        var limits = new RateLimitOptions
        {
            RequestsPerSecond = Limit(configuration, "RATE_LIMIT_REQUESTS", 200),
            MetricsPerSecond = Limit(configuration, "RATE_LIMIT_METRICS", 100_000),
            ExpensiveReadsPerKey = Limit(configuration, "EXPENSIVE_READS_PER_KEY", 8),
            LiveConnectionsPerKey = Limit(configuration, "LIVE_CONNECTIONS_PER_KEY", 100),
        };
        services.AddSingleton(limits);
        services.AddSingleton(new MetricQuota(limits.MetricsPerSecond, Math.Max(limits.MetricsPerSecond, maxBatchSize)));
        services.AddScoped<MetricQuotaFilter>();
        services.AddScoped<IdempotencyFilter>();
        services.AddRateLimiter(options =>
        {
            options.OnRejected = RejectAsync;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => KeyOf(context.User) is { } key && limits.RequestsPerSecond > 0
                ? RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(limits.RequestsPerSecond, 2 * limits.RequestsPerSecond))
                : RateLimitPartition.GetNoLimiter(string.Empty));
            options.AddPolicy(RateLimitOptions.ExpensiveReads, context => Concurrency(context, limits.ExpensiveReadsPerKey));
            options.AddPolicy(RateLimitOptions.LiveConnections, context => Concurrency(context, limits.LiveConnectionsPerKey));
        });
        return services;
    }

    /// <summary>The key's id; null without a key (nothing to partition by that a client cannot forge).</summary>
    private static string? KeyOf(ClaimsPrincipal user) => ApiKeyAuthenticationHandler.KeyIdOf(user);

    private static ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken) =>
        new(RefuseAsync(
            context.HttpContext,
            context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>() is null ? "requests" : "concurrency",
            context.Lease,
            "Too many requests for this API key; retry after Retry-After seconds."));

    /// <summary>
    /// Every 429: counted by limit, with Retry-After from the limiter's own estimate of when a retry
    /// can pass (whole seconds, at least 1), and a problem.
    /// </summary>
    private static async Task RefuseAsync(HttpContext http, string limit, RateLimitLease lease, string detail)
    {
        http.RequestServices.GetRequiredService<ServiceMetrics>().RateLimited.Add(1, new KeyValuePair<string, object?>("limit", limit));
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        await Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests", detail: detail).ExecuteAsync(http);
    }

    private static RateLimitPartition<string> Concurrency(HttpContext context, int permits) =>
        KeyOf(context.User) is { } key && permits > 0
            ? RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = permits, QueueLimit = 0 })
            : RateLimitPartition.GetNoLimiter(string.Empty);

    // Refilled ten times a second (once a second below 10/s), so a client sees a steady rate, not waves.
    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond >= 10 ? perSecond / 10 : perSecond,
        ReplenishmentPeriod = perSecond >= 10 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static int Limit(IConfiguration configuration, string key, int fallback) =>
        configuration.GetWholeNumber(key, min: 0, note: " (0 turns the limit off)") ?? fallback;

    /// <summary>Metrics written per second, per key: a batch takes as many tokens as it holds points.</summary>
    internal sealed class MetricQuota(int perSecond, int burst) : IDisposable
    {
        private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(key =>
            RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(perSecond, burst)));

        public int PerSecond => perSecond;

        public bool Enabled => perSecond > 0;

        public RateLimitLease Acquire(string key, int metrics) => _limiter.AttemptAcquire(key, Math.Min(metrics, burst));

        public void Dispose() => _limiter.Dispose();
    }

    /// <summary>On the write actions: takes the batch's points from the key's metric quota before anything is written.</summary>
    internal sealed class MetricQuotaFilter(MetricQuota quota) : IAsyncActionFilter
    {
        public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
        {
            var count = context.ActionArguments.Values.Sum(a => a switch
            {
                WriteMetricBatchCommand c => c.Metrics?.Count ?? 0,
                WriteSystemMetricBatchCommand c => c.Metrics?.Count ?? 0,
                _ => 0,
            });
            if (quota.Enabled && count > 0 && KeyOf(context.HttpContext.User) is { } key)
            {
                using var lease = quota.Acquire(key, count);
                if (!lease.IsAcquired)
                {
                    await RefuseAsync(context.HttpContext, "metrics", lease, $"This API key writes more than {quota.PerSecond} metrics per second; nothing was written, retry after Retry-After seconds.");
                    context.Result = new EmptyResult();
                    return;
                }
            }

            await next();
        }
    }
}
