using Mediator;
using Metrics.Application.Common.Behaviours;

namespace Metrics.Application.Metrics.Queries.GetMetricStats;

public sealed record GetMetricStatsQuery(Guid RunId, string MetricName) : IQuery<MetricStatsDto>, ICachedQuery, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];

    public string CacheKey => $"stats:{RunId:N}:{MetricName}";

    public IReadOnlyList<string> CacheTags => [Common.Behaviours.CacheTags.Metric(RunId, MetricName)];
}

/// <summary>
/// <c>count</c> counts every point; min/max/avg/std_dev are over finite values only and null when
/// there are none (std_dev also for a single finite value); non-finite points are counted apart.
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
