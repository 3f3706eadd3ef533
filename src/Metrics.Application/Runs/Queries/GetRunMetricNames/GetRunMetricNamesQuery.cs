namespace Metrics.Application.Runs.Queries.GetRunMetricNames;

/// <summary>The names of a run's metrics, in name order (empty for an unknown run).</summary>
public sealed record GetRunMetricNamesQuery(Guid RunId) : IQuery<RunMetricNamesResponse>, ICachedQuery, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];

    public string CacheKey => $"metric-names:{RunId:N}";

    public IReadOnlyList<string> DependsOn => [CacheTags.RunMetrics(RunId)];
}

public sealed record RunMetricNamesResponse(Guid RunId, IReadOnlyList<string> MetricNames);
