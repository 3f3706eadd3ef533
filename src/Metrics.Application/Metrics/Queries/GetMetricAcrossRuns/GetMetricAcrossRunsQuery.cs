using System.Text.Json.Serialization;

namespace Metrics.Application.Metrics.Queries.GetMetricAcrossRuns;

/// <summary>One metric in several runs (up to 100), for comparison charts: up to <see cref="Limit"/> points per run.</summary>
public sealed record GetMetricAcrossRunsQuery(
    string MetricName,
    IReadOnlyList<Guid> RunIds,
    int Limit,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    long? MinStep,
    long? MaxStep,
    string? Order) : IQuery<MetricAcrossRunsResponse>, IRangeQuery, ICachedQuery, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => RunIds;

    public const int MaxRuns = 100;

    /// <summary>The most points this read may return (limit per run).</summary>
    public long MaxPoints => (long)Limit * RunIds.Count;

    bool ICachedQuery.IsCacheable => MaxPoints <= RangeQuery.MaxCachedPoints;

    public string CacheKey => $"across-runs:{MetricName}:{string.Join(',', RunIds.Select(r => r.ToString("N")))}:{this.ToCacheKey()}";

    public IReadOnlyList<string> DependsOn => RunIds.Select(r => CacheTags.Metric(r, MetricName)).ToList();
}

/// <param name="Runs">One entry per requested run, in request order (empty when the run has no such metric).</param>
public sealed record MetricAcrossRunsResponse(string MetricName, IReadOnlyList<RunSeriesDto> Runs)
{
    /// <summary>Points over all runs, written after them (see <see cref="PointStream{T}"/>).</summary>
    [JsonPropertyOrder(1)]
    public int Count => Runs.Sum(r => r.Count);
}

public sealed record RunSeriesDto(Guid RunId, PointStream<MetricDto> Metrics)
{
    [JsonPropertyOrder(1)]
    public int Count => Metrics.Count;
}
