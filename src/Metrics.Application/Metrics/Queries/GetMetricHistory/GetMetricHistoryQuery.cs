namespace Metrics.Application.Metrics.Queries.GetMetricHistory;

/// <summary>One metric's points in a run.</summary>
public sealed record GetMetricHistoryQuery(
    Guid RunId,
    string MetricName,
    int Limit,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    long? MinStep,
    long? MaxStep,
    string? Order) : IQuery<MetricHistoryResponse>, IRangeQuery, ICachedQuery, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];

    public string CacheKey => $"history:{RunId:N}:{MetricName}:{this.ToCacheKey()}";

    public IReadOnlyList<string> DependsOn => [CacheTags.Metric(RunId, MetricName)];
}

public sealed record MetricHistoryResponse(Guid RunId, string MetricName, IReadOnlyList<MetricDto> Metrics, int Count);
