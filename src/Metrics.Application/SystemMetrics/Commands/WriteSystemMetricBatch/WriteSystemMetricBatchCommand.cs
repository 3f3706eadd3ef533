using System.Text.Json;

namespace Metrics.Application.SystemMetrics.Commands.WriteSystemMetricBatch;

/// <summary>Store a batch of host measurements (CPU, GPU, memory, disk, network), all or nothing.</summary>
public sealed record WriteSystemMetricBatchCommand(IReadOnlyList<SystemMetricInput?>? Metrics) : ICommand<BatchWriteResult>, IRunScoped, IIngestBatch
{
    int? IIngestBatch.PointCount => Metrics?.Count;

    IEnumerable<Guid> IRunScoped.RunIds => Metrics?.Select(m => m?.RunId).OfType<Guid>() ?? [];

    bool IRunScoped.ClaimsNewRuns => true;
}

/// <param name="Metadata">Tells devices apart, e.g. {"gpu":0} or {"core":3}.</param>
public sealed record SystemMetricInput(
    Guid? RunId,
    string? MetricType,
    double? Value,
    DateTimeOffset? Time,
    JsonElement? Metadata);
