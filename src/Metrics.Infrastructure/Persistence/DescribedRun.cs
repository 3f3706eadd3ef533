namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// A run's description (ADR 0024). Written and read through SQL (<see cref="RunCatalog"/>); mapped
/// so that migrations create it. A run nobody described has no row.
/// </summary>
internal sealed class DescribedRun
{
    public Guid RunId { get; init; }

    public string? Name { get; init; }

    public string[] Tags { get; init; } = [];

    public string? Config { get; init; }

    public string Status { get; init; } = string.Empty;

    public DateTime? StartedAt { get; init; }

    public DateTime? EndedAt { get; init; }

    public DateTime CreatedAt { get; init; }

    public DateTime UpdatedAt { get; init; }
}
