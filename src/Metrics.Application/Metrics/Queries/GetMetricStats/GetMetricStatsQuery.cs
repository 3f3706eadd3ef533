namespace Metrics.Application.Metrics.Queries.GetMetricStats;

public sealed record GetMetricStatsQuery(Guid RunId, string MetricName) : IQuery<MetricStatsDto>, ICachedQuery, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];

    public string CacheKey => $"stats:{RunId:N}:{MetricName}";

    public IReadOnlyList<string> DependsOn => [CacheTags.Metric(RunId, MetricName)];
}
