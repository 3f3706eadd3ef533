namespace Metrics.Application.Common.Abstractions;

/// <summary>
/// Every instance's open live connections per key (Redis), so a key's cap holds across instances.
/// Each instance reports its own counts; an instance that stops reporting drops out within 30 s.
/// Null answers mean the shared store cannot answer: the instance then counts only its own.
/// </summary>
public interface ISharedConnectionCounts
{
    /// <returns>Whether one more connection of the key was counted (false: the key has <paramref name="limit"/> open).</returns>
    ValueTask<bool?> TryOpenAsync(string keyId, int limit, CancellationToken cancellationToken);

    ValueTask CloseAsync(string keyId);

    /// <returns>The key's open connections on all instances.</returns>
    ValueTask<int?> CountAsync(string keyId, CancellationToken cancellationToken);

    /// <summary>States this instance's counts again (they lapse when not restated).</summary>
    ValueTask RestateAsync(IReadOnlyDictionary<string, int> counts, CancellationToken cancellationToken);
}
