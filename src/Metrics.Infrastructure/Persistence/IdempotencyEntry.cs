namespace Metrics.Infrastructure.Persistence;

/// <summary>A write sent with an Idempotency-Key: claimed, then answered (status and body kept for replay).</summary>
internal sealed class IdempotencyEntry
{
    public string Scope { get; init; } = string.Empty;

    public string Key { get; init; } = string.Empty;

    public string RequestHash { get; init; } = string.Empty;

    public DateTime ClaimedAt { get; init; }

    public int? Status { get; init; }

    public string? ContentType { get; init; }

    public byte[]? Body { get; init; }
}
