namespace Metrics.Infrastructure.Persistence;

/// <summary>A run's project: set when a key bound to that project first writes to the run.</summary>
internal sealed class RunProject
{
    public Guid RunId { get; init; }

    public string Project { get; init; } = string.Empty;

    public DateTime ClaimedAt { get; init; }
}
