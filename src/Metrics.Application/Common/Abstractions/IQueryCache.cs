namespace Metrics.Application.Common.Abstractions;

/// <summary>
/// A shared read cache. Entries carry tags; invalidating a tag makes every entry that carries
/// it unreachable. An unavailable cache behaves as a miss: reads fall through to storage.
/// </summary>
public interface IQueryCache
{
    ValueTask<T> GetOrCreateAsync<T>(
        string key,
        IReadOnlyList<string> tags,
        Func<CancellationToken, ValueTask<T>> factory,
        CancellationToken cancellationToken);

    ValueTask InvalidateAsync(IReadOnlyCollection<string> tags, CancellationToken cancellationToken);
}
