namespace Metrics.Application.Metrics;

/// <summary>
/// <c>count</c> counts every point; min/max/avg/std_dev are over finite values only and null when
/// there are none (std_dev also for a single finite value); non-finite points are counted apart.
/// Read from the series summary as it is (<see cref="Common.Abstractions.IMetricReader"/>) and sent as it is.
/// </summary>
public sealed record MetricStatsDto(
    string MetricName,
    long Count,
    double? MinValue,
    double? MaxValue,
    double? AvgValue,
    double? StdDev,
    DateTime FirstTime,
    DateTime LastTime,
    long NanCount,
    long InfCount);
