namespace Metrics.Application.Common.Abstractions;

/// <summary>
/// Remembered answers to writes sent with an Idempotency-Key, per API key. A record is first a
/// claim (the request is in progress), then the stored answer; claims of requests that ended
/// without a final answer are given up, and claims older than the lease are taken over.
/// </summary>
public interface IIdempotencyStore
{
    /// <summary>Claims (scope, key) for a request with this body hash, or returns the existing record.</summary>
    Task<IdempotencyRecord?> TryClaimAsync(string scope, string key, string requestHash, TimeSpan lease, CancellationToken cancellationToken);

    Task CompleteAsync(string scope, string key, int status, string? contentType, byte[] body, CancellationToken cancellationToken);

    Task ReleaseAsync(string scope, string key, CancellationToken cancellationToken);
}

/// <summary>What another request with the same key left: in progress (no status yet) or its answer.</summary>
public sealed record IdempotencyRecord(string RequestHash, int? Status, string? ContentType, byte[]? Body);
