using System.Text.Json.Serialization;

namespace Metrics.Application.Metrics.Queries.GetRunMetrics;

/// <summary>
/// A run's points, newest first unless asked otherwise: all metrics, one (<see cref="MetricName"/>),
/// or several (<see cref="MetricNames"/>, each series with up to <see cref="Limit"/> points, grouped
/// in the order named).
/// </summary>
public sealed record GetRunMetricsQuery(
    Guid RunId,
    string? MetricName,
    int Limit,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    long? MinStep,
    long? MaxStep,
    string? Order,
    IReadOnlyList<string>? MetricNames = null) : IQuery<RunMetricsResponse>, IRangeQuery, ICachedQuery, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];

    public const int MaxMetricNames = 50;

    /// <summary>The most points this read may return (limit per series).</summary>
    public long MaxPoints => (long)Limit * (MetricNames?.Count is > 0 and var n ? n : 1);

    bool ICachedQuery.IsCacheable => MaxPoints <= RangeQuery.MaxCachedPoints;

    public string CacheKey =>
        $"run-metrics:{RunId:N}:{MetricName}:{(MetricNames is null ? null : string.Join('\n', MetricNames))}:{this.ToCacheKey()}";

    // Filtered to named metrics, the answer only changes when those series do.
    public IReadOnlyList<string> DependsOn => (MetricNames, MetricName) switch
    {
        ({ Count: > 0 } names, _) => names.Select(n => CacheTags.Metric(RunId, n)).ToList(),
        (_, { } name) => [CacheTags.Metric(RunId, name)],
        _ => [CacheTags.RunMetrics(RunId)],
    };
}

public sealed record RunMetricsResponse(Guid RunId, PointStream<MetricDto> Metrics)
{
    /// <summary>Written after the points, which a streamed answer counts as it writes them.</summary>
    [JsonPropertyOrder(1)]
    public int Count => Metrics.Count;
}
