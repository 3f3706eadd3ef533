using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Metrics.Api.Problems;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Behaviours;
using Metrics.Application.Common.Models;
using Metrics.Application.Common.Settings;
using Metrics.Application.Common.Telemetry;
using Metrics.Application.Runs.Commands.DescribeRun;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Metrics.Api.Security;

/// <summary>
/// Per-key limits; 0 turns one off. Requests without a valid key are limited per client address;
/// with AUTH_MODE=none nothing is. Over a limit: 429 with Retry-After and a problem.
/// </summary>
public sealed class RateLimitOptions
{
    public const string ExpensiveReads = "expensive-reads";

    private const string WholeOrOff = " must be a whole number, 0 or more (0 turns the limit off).";

    /// <summary>Requests per second, bursts of twice that; hub calls and raw WebSocket messages count too.</summary>
    [ConfigurationKeyName("RATE_LIMIT_REQUESTS")]
    [Range(0, int.MaxValue, ErrorMessage = "RATE_LIMIT_REQUESTS" + WholeOrOff)]
    public int RequestsPerSecond { get; set; } = 200;

    /// <summary>Metrics written per second, bursts of at least one full batch.</summary>
    [ConfigurationKeyName("RATE_LIMIT_METRICS")]
    [Range(0, int.MaxValue, ErrorMessage = "RATE_LIMIT_METRICS" + WholeOrOff)]
    public int MetricsPerSecond { get; set; } = 100_000;

    /// <summary>Concurrent reads whose cost grows with their parameters.</summary>
    [ConfigurationKeyName("EXPENSIVE_READS_PER_KEY")]
    [Range(0, int.MaxValue, ErrorMessage = "EXPENSIVE_READS_PER_KEY" + WholeOrOff)]
    public int ExpensiveReadsPerKey { get; set; } = 8;

    /// <summary>Open hub connections over any transport and raw WebSockets.</summary>
    [ConfigurationKeyName("LIVE_CONNECTIONS_PER_KEY")]
    [Range(0, int.MaxValue, ErrorMessage = "LIVE_CONNECTIONS_PER_KEY" + WholeOrOff)]
    public int LiveConnectionsPerKey { get; set; } = 100;

    /// <summary>Requests per second per client address, for requests without a valid key.</summary>
    [ConfigurationKeyName("RATE_LIMIT_ANONYMOUS")]
    [Range(0, int.MaxValue, ErrorMessage = "RATE_LIMIT_ANONYMOUS" + WholeOrOff)]
    public int AnonymousRequestsPerSecond { get; set; } = 50;
}

internal static class RateLimits
{
    public static IServiceCollection AddApiRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSettings<RateLimitOptions>(configuration);
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<RateLimitOptions>>().Value);
        services.AddSingleton(sp =>
        {
            var limits = sp.GetRequiredService<RateLimitOptions>();
            return new RequestQuota(sp.GetRequiredService<ISharedBuckets>(), limits.RequestsPerSecond, limits.AnonymousRequestsPerSecond);
        });
        services.AddSingleton(sp =>
        {
            // A burst holds at least one full batch, or no batch could ever pass.
            var perSecond = sp.GetRequiredService<RateLimitOptions>().MetricsPerSecond;
            return new MetricQuota(sp.GetRequiredService<ISharedBuckets>(), perSecond, Math.Max(perSecond, sp.GetRequiredService<IOptions<IngestOptions>>().Value.MaxBatchSize));
        });
        services.AddScoped<MetricQuotaFilter>();
        services.AddScoped<IdempotencyFilter>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<RequestQuota, RateLimitOptions>((options, requests, limits) =>
        {
            options.OnRejected = RejectAsync;
            options.GlobalLimiter = requests.ForRequests();
            options.AddPolicy(RateLimitOptions.ExpensiveReads, context => Concurrency(context, limits.ExpensiveReadsPerKey));
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
    private static Task RefuseAsync(HttpContext http, string limit, RateLimitLease lease, string detail) =>
        RefuseAsync(http, limit, RetryAfterSeconds(lease), detail);

    /// <summary>The limiter's own estimate of when a retry can pass: whole seconds, at least 1.</summary>
    public static int RetryAfterSeconds(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;

    public static async Task RefuseAsync(HttpContext http, string limit, int retryAfter, string detail)
    {
        http.RequestServices.GetRequiredService<ServiceMetrics>().RateLimited.Add(1, new KeyValuePair<string, object?>("limit", limit));
        http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        await ProblemWriter.WriteAsync(http, StatusCodes.Status429TooManyRequests, "Too many requests", detail);
    }

    private static RateLimitPartition<string> Concurrency(HttpContext context, int permits) =>
        KeyOf(context.User) is { } key && permits > 0
            ? RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = permits, QueueLimit = 0 })
            : RateLimitPartition.GetNoLimiter(string.Empty);

    /// <summary>
    /// Requests per second: per key for HTTP requests, hub calls and raw WebSocket messages alike; per
    /// client address for requests without a valid key (none with AUTH_MODE=none, whose callers are
    /// authenticated). A key's is shared by every instance (<see cref="SharedBucket"/>); an address's
    /// is each instance's own, as what it protects is that instance's work before authentication.
    /// </summary>
    internal sealed class RequestQuota(ISharedBuckets shared, int perSecond, int anonymousPerSecond) : IDisposable
    {
        private readonly SharedBucket _keys = new(shared, "requests", perSecond, 2 * perSecond);
        private readonly SharedBucket _addresses = new(null, "anonymous", anonymousPerSecond, 2 * anonymousPerSecond);

        /// <summary>One live message of this key (hub call or raw WebSocket message).</summary>
        public ValueTask<RateLimitLease> AcquireForKeyAsync(string? keyId, CancellationToken cancellationToken) =>
            keyId is null ? new(SharedBucket.Granted) : _keys.TakeAsync(keyId, 1, cancellationToken);

        public PartitionedRateLimiter<HttpContext> ForRequests() => new Limiter(this);

        private (SharedBucket Bucket, string Partition)? PartitionOf(HttpContext context) =>
            KeyOf(context.User) is { } key ? (_keys, key)
            : context.User.Identity?.IsAuthenticated == true ? null
            : (_addresses, context.Connection.RemoteIpAddress?.ToString() ?? string.Empty);

        public void Dispose()
        {
            _keys.Dispose();
            _addresses.Dispose();
        }

        // ASP.NET's middleware tries AttemptAcquire first (tokens this instance holds: no round
        // trip), then AcquireAsync (a chunk from the shared bucket).
        private sealed class Limiter(RequestQuota quota) : PartitionedRateLimiter<HttpContext>
        {
            public override RateLimiterStatistics? GetStatistics(HttpContext resource) => null;

            protected override RateLimitLease AttemptAcquireCore(HttpContext resource, int permitCount) =>
                quota.PartitionOf(resource) is var (bucket, partition) ? bucket.TryTake(partition, permitCount) : SharedBucket.Granted;

            protected override ValueTask<RateLimitLease> AcquireAsyncCore(HttpContext resource, int permitCount, CancellationToken cancellationToken) =>
                quota.PartitionOf(resource) is var (bucket, partition) ? bucket.TakeAsync(partition, permitCount, cancellationToken) : new(SharedBucket.Granted);
        }
    }

    /// <summary>Metrics written per second, per key, shared by every instance: a batch takes as many tokens as it holds points.</summary>
    internal sealed class MetricQuota(ISharedBuckets shared, int perSecond, int burst) : IDisposable
    {
        private readonly SharedBucket _bucket = new(shared, "metrics", perSecond, burst);

        public int PerSecond => perSecond;

        public bool Enabled => perSecond > 0;

        public ValueTask<RateLimitLease> AcquireAsync(string key, int metrics, CancellationToken cancellationToken) =>
            _bucket.TakeAsync(key, Math.Min(metrics, burst), cancellationToken);

        public void Dispose() => _bucket.Dispose();
    }

    /// <summary>On the write actions: takes the batch's points from the key's metric quota before anything is written.</summary>
    internal sealed class MetricQuotaFilter(MetricQuota quota) : IAsyncActionFilter
    {
        public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
        {
            var count = context.ActionArguments.Values.Sum(a => a switch
            {
                IIngestBatch batch => batch.PointCount ?? 0,
                RunDescriptionBody => 1, // a run's description costs what one point does
                _ => 0,
            });
            if (quota.Enabled && count > 0 && KeyOf(context.HttpContext.User) is { } key)
            {
                using var lease = await quota.AcquireAsync(key, count, context.HttpContext.RequestAborted);
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
