namespace Metrics.Application.Common.Abstractions;

/// <summary>
/// Token buckets every instance draws from (Redis), so a key's limit holds across all instances
/// rather than once per instance.
/// </summary>
public interface ISharedBuckets
{
    /// <summary>
    /// Takes at least <paramref name="needed"/> and at most <paramref name="wanted"/> tokens from
    /// the bucket (refilled at <paramref name="perSecond"/>, holding at most <paramref name="burst"/>).
    /// </summary>
    /// <returns>What was taken (0 with the wait until <paramref name="needed"/> is there), or null when the shared store cannot answer.</returns>
    ValueTask<SharedTake?> TakeAsync(string bucket, int perSecond, int burst, int needed, int wanted, CancellationToken cancellationToken);
}

/// <param name="Taken">Tokens taken; 0 when fewer than needed were there.</param>
/// <param name="RetryAfter">With nothing taken: when the needed tokens will be there.</param>
public readonly record struct SharedTake(int Taken, TimeSpan RetryAfter);
