using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.RateLimiting;
using Metrics.Application.Common.Abstractions;

namespace Metrics.Api.Security;

/// <summary>
/// One limit (per key, or per address) held in Redis and drawn on by every instance, so a key gets
/// its limit once, not once per instance. An instance takes tokens a twentieth of a second's worth
/// at a time and spends them itself, so most requests cost no round trip; tokens it has not spent
/// within 250 ms lapse, so no instance sits on a share another could use. While Redis cannot
/// answer, or with no shared store, each instance limits on its own (a key then gets its limit per
/// instance). 0 per second turns the limit off.
/// </summary>
internal sealed class SharedBucket(ISharedBuckets? shared, string name, int perSecond, int burst) : IDisposable
{
    public static readonly RateLimitLease Granted = new Lease(true, TimeSpan.Zero);

    private const int MaxHeld = 100_000;
    private static readonly long Lapse = Stopwatch.Frequency / 4;

    private readonly ConcurrentDictionary<string, Held> _held = new(StringComparer.Ordinal);

    private readonly PartitionedRateLimiter<string> _alone = PartitionedRateLimiter.Create<string, string>(partition =>
        RateLimitPartition.GetTokenBucketLimiter(partition, _ => new TokenBucketRateLimiterOptions
        {
            // Refilled ten times a second (once a second below 10/s), so a client sees a steady rate, not waves.
            TokenLimit = burst,
            TokensPerPeriod = perSecond >= 10 ? perSecond / 10 : Math.Max(perSecond, 1),
            ReplenishmentPeriod = perSecond >= 10 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    /// <summary>Without a round trip: from tokens this instance holds (refused when too few: then try <see cref="TakeAsync"/>), or locally without a shared store.</summary>
    public RateLimitLease TryTake(string partition, int count) =>
        perSecond <= 0 || TakeHeld(partition, count) ? Granted
        : shared is null ? _alone.AttemptAcquire(partition, count)
        : Lease.NotHeld;

    public async ValueTask<RateLimitLease> TakeAsync(string partition, int count, CancellationToken cancellationToken)
    {
        if (perSecond <= 0 || TakeHeld(partition, count))
        {
            return Granted;
        }

        if (shared is null)
        {
            return _alone.AttemptAcquire(partition, count);
        }

        var chunk = Math.Clamp(perSecond / 20, count, Math.Max(burst, count));
        var take = await shared.TakeAsync($"{name}:{partition}", perSecond, burst, count, chunk, cancellationToken);
        if (take is not { } taken)
        {
            return _alone.AttemptAcquire(partition, count);
        }

        if (taken.Taken == 0)
        {
            return new Lease(false, taken.RetryAfter);
        }

        if (taken.Taken > count)
        {
            Hold(partition, taken.Taken - count);
        }

        return Granted;
    }

    private bool TakeHeld(string partition, int count)
    {
        if (!_held.TryGetValue(partition, out var held))
        {
            return false;
        }

        lock (held)
        {
            if (held.Tokens < count || Stopwatch.GetTimestamp() > held.Until)
            {
                return false;
            }

            held.Tokens -= count;
            return true;
        }
    }

    private void Hold(string partition, int tokens)
    {
        if (_held.Count >= MaxHeld)
        {
            _held.Clear(); // a flood of addresses must not grow memory; held tokens are only a saving
        }

        var held = _held.GetOrAdd(partition, _ => new Held());
        lock (held)
        {
            held.Tokens = Stopwatch.GetTimestamp() > held.Until ? tokens : held.Tokens + tokens;
            held.Until = Stopwatch.GetTimestamp() + Lapse;
        }
    }

    public void Dispose() => _alone.Dispose();

    private sealed class Held
    {
        public int Tokens;
        public long Until;
    }

    private sealed class Lease(bool acquired, TimeSpan retryAfter) : RateLimitLease
    {
        public static readonly Lease NotHeld = new(false, TimeSpan.Zero);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => acquired ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return !acquired && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
