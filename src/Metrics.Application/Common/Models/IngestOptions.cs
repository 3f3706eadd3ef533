namespace Metrics.Application.Common.Models;

public sealed class IngestOptions
{
    /// <summary>Most points accepted in one batch request (BATCH_SIZE).</summary>
    public int MaxBatchSize { get; set; } = 1000;
}
