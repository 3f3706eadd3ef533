using Mediator;
using Metrics.Application.Common.Behaviours;
using Metrics.Application.Common.Models;

namespace Metrics.Application.Metrics.Queries.GetRunMetrics;

/// <summary>A run's points, optionally of one metric, newest first unless asked otherwise.</summary>
public sealed record GetRunMetricsQuery(
    Guid RunId,
    string? MetricName,
    int Limit,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    long? MinStep,
    long? MaxStep,
    string? Order) : IQuery<RunMetricsResponse>, IRangeQuery, ICachedQuery
{
    public string CacheKey => $"run-metrics:{RunId:N}:{MetricName}:{this.ToCacheKey()}";

    // Filtered to one metric, the answer only changes when that series does.
    public IReadOnlyList<string> CacheTags =>
        [MetricName is null ? Common.Behaviours.CacheTags.RunMetrics(RunId) : Common.Behaviours.CacheTags.Metric(RunId, MetricName)];
}

public sealed record RunMetricsResponse(Guid RunId, IReadOnlyList<MetricDto> Metrics, int Count);
