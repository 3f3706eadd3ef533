namespace Metrics.Application.Metrics.Queries.GetDownsampledMetric;

/// <summary>
/// A chart-ready series: at most <see cref="Points"/> step buckets over [min_step, max_step]
/// (default: the whole series), each with min, max, avg and last value, plus the series' first
/// and last points so endpoints and spikes survive. Points without a step are not bucketed.
/// </summary>
public sealed record GetDownsampledMetricQuery(Guid RunId, string MetricName, int Points, long? MinStep, long? MaxStep)
    : IQuery<DownsampledMetricResponse>, ICachedQuery, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];

    public const int DefaultPoints = 500;
    public const int MaxPoints = 10_000;

    public string CacheKey => $"downsampled:{RunId:N}:{MetricName}:{Points}|{MinStep}|{MaxStep}";

    public IReadOnlyList<string> DependsOn => [CacheTags.Metric(RunId, MetricName)];
}

/// <param name="Total">Points with a step in the range.</param>
/// <param name="First">The range's first point (lowest step).</param>
/// <param name="Last">The range's last point (highest step; ties by time).</param>
public sealed record DownsampledMetricResponse(
    Guid RunId,
    string MetricName,
    int Points,
    long Total,
    IReadOnlyList<StepBucketDto> Buckets,
    MetricDto? First,
    MetricDto? Last);

/// <param name="Step">The bucket's last step, where <paramref name="Last"/> was taken.</param>
/// <param name="Time">The time of the point <paramref name="Last"/> (for charts with a time axis).</param>
/// <param name="NonFinite">Points in the bucket whose value was NaN or ±Infinity (left out of min/max/avg).</param>
public sealed record StepBucketDto(long Step, long FirstStep, long Count, double? Min, double? Max, double? Avg, double Last, long NonFinite, DateTimeOffset Time);
