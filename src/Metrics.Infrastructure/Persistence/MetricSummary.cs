namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// One row per series (run, metric), kept current by every insert in the same statement, so
/// /latest and /stats read one row however long the series is. Mean and M2 (sum of squared
/// deviations) are merged with Chan's parallel formula in numeric, which neither overflows for
/// huge finite values nor loses precision the way a running sum of squares would in double.
/// </summary>
public sealed class MetricSummary
{
    public Guid RunId { get; init; }

    public string MetricName { get; init; } = string.Empty;

    public long Count { get; init; }

    public long FiniteCount { get; init; }

    public long NanCount { get; init; }

    public long InfCount { get; init; }

    public double? MinValue { get; init; }

    public double? MaxValue { get; init; }

    public decimal? Mean { get; init; }

    public decimal? M2 { get; init; }

    public DateTime FirstTime { get; init; }

    public DateTime LastTime { get; init; }

    public long? LatestStep { get; init; }

    public DateTime LatestTime { get; init; }

    public double LatestValue { get; init; }

    public string? LatestMetadata { get; init; }
}
