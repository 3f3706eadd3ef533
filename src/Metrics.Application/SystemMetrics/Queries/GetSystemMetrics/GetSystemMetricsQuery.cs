namespace Metrics.Application.SystemMetrics.Queries.GetSystemMetrics;

/// <summary>A run's host measurements, optionally of one type, newest first unless asked otherwise.</summary>
public sealed record GetSystemMetricsQuery(
    Guid RunId,
    string? MetricType,
    int Limit,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    string? Order) : IQuery<SystemMetricsResponse>, IRangeQuery, ICachedQuery, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];

    // System metrics have no step; the step filters of IRangeQuery never apply.
    long? IRangeQuery.MinStep => null;

    long? IRangeQuery.MaxStep => null;

    public string CacheKey => $"system:{RunId:N}:{MetricType}:{this.ToCacheKey()}";

    public IReadOnlyList<string> DependsOn => [CacheTags.RunSystemMetrics(RunId)];
}

public sealed record SystemMetricsResponse(Guid RunId, IReadOnlyList<SystemMetricDto> Metrics, int Count);
