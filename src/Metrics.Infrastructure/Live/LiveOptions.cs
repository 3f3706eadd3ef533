namespace Metrics.Infrastructure.Live;

public sealed class LiveOptions
{
    /// <summary>Run batches waiting to be published; beyond this, live updates are dropped (REST still has them).</summary>
    public int PublishQueueCapacity { get; set; } = 10_000;
}
