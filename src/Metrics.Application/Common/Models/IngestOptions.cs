namespace Metrics.Application.Common.Models;

public sealed class IngestOptions
{
    /// <summary>Most points accepted in one batch request (BATCH_SIZE).</summary>
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>How far past now a point's time may lie (MAX_FUTURE_HOURS, default 24); the earliest is 1970-01-01.</summary>
    public TimeSpan FutureAllowance { get; set; } = TimeSpan.FromDays(1);
}
