namespace Metrics.Application.Common.Behaviours;

/// <summary>A batch of points to store (metrics or system metrics): what the ingest counters and the metric quota count.</summary>
public interface IIngestBatch
{
    /// <summary>Points in the batch (null when the batch itself is missing).</summary>
    int? PointCount { get; }
}
