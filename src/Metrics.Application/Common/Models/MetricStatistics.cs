namespace Metrics.Application.Common.Models;

/// <summary>
/// Count covers every point; min/max/avg/stddev cover finite values only, since one NaN would
/// otherwise poison them all. They are null when the series has no finite value.
/// </summary>
public sealed record MetricStatistics(
    long Count,
    long NanCount,
    long InfinityCount,
    double? Min,
    double? Max,
    double? Average,
    double? StdDev,
    DateTime FirstTime,
    DateTime LastTime);
