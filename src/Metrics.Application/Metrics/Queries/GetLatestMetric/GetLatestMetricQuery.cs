namespace Metrics.Application.Metrics.Queries.GetLatestMetric;

/// <summary>The point with the highest step; step-less points and ties go by time.</summary>
public sealed record GetLatestMetricQuery(Guid RunId, string MetricName) : IQuery<MetricDto>, ICachedQuery, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];

    public string CacheKey => $"latest:{RunId:N}:{MetricName}";

    public IReadOnlyList<string> DependsOn => [CacheTags.Metric(RunId, MetricName)];
}
