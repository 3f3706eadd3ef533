using System.Text.Json;
using System.Text.Json.Serialization;

namespace Metrics.Application.Metrics.Commands.WriteMetricBatch;

/// <summary>Store a batch of points, all or nothing.</summary>
public sealed record WriteMetricBatchCommand(IReadOnlyList<MetricInput?>? Metrics) : ICommand<BatchWriteResult>, IRunScoped, IIngestBatch
{
    int? IIngestBatch.PointCount => Metrics?.Count;

    IEnumerable<Guid> IRunScoped.RunIds => Metrics?.Select(m => m?.RunId).OfType<Guid>() ?? [];

    bool IRunScoped.ClaimsNewRuns => true;
}

/// <summary>One point as posted. Fields are nullable so a missing field is a validation error, not a zero.</summary>
/// <param name="Time">Null means now.</param>
public sealed record MetricInput(
    Guid? RunId,
    string? MetricName,
    long? Step,
    double? Value,
    DateTimeOffset? Time,
    JsonElement? Metadata)
{
    /// <summary>
    /// What the JSON reader uses: an empty point filled field by field. Binding through the
    /// positional constructor boxes every argument, and a batch has a thousand points.
    /// </summary>
    [JsonConstructor]
    public MetricInput()
        : this(null, null, null, null, null, null)
    {
    }
}
