using Metrics.Domain.Metrics;

namespace Metrics.Application.Runs.Queries.ExportRun;

/// <summary>
/// Every point of a run (or of the metrics named), series by series in name order and each in
/// time order, for a file download in <see cref="Format"/> (csv or parquet).
/// </summary>
public sealed record ExportRunQuery(Guid RunId, string Format, IReadOnlyList<string>? MetricNames = null) : IQuery<RunExport>, IRunScoped
{
    public const int MaxMetricNames = 1000;

    public static readonly IReadOnlyList<string> Formats = ["csv", "parquet"];

    IEnumerable<Guid> IRunScoped.RunIds => [RunId];
}

/// <summary>The points, read from storage while the file is written (the first already read, so an unreachable database is still a 503).</summary>
public sealed record RunExport(Guid RunId, string Format, PointStream<Metric> Points);
