using System.Globalization;
using Metrics.Domain.Common;

namespace Metrics.Application.Metrics.Queries.GetTimeBucketedMetric;

/// <summary>
/// A chart-ready series over time: at most <see cref="Points"/> buckets of equal, readable width
/// (1 s … 1 week, then whole weeks) over [start_time, end_time] (default: the whole series), widened
/// to whole buckets. On TimescaleDB, minute- and hour-multiple widths read the continuous aggregates.
/// </summary>
public sealed record GetTimeBucketedMetricQuery(Guid RunId, string MetricName, int Points, DateTimeOffset? StartTime, DateTimeOffset? EndTime)
    : IQuery<TimeBucketedMetricResponse>, ICachedQuery, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];

    public const int DefaultPoints = 500;
    public const int MaxPoints = 10_000;

    public string CacheKey => string.Create(
        CultureInfo.InvariantCulture,
        $"time-buckets:{RunId:N}:{MetricName}:{Points}|{(StartTime is { } s ? DomainTime.Normalize(s).Ticks : null)}|{(EndTime is { } e ? DomainTime.Normalize(e).Ticks : null)}");

    public IReadOnlyList<string> DependsOn => [CacheTags.Metric(RunId, MetricName)];
}

/// <param name="BucketSeconds">The width of every bucket.</param>
/// <param name="StartTime">The first bucket's start (null when the series has no points).</param>
/// <param name="EndTime">The end of the last bucket, exclusive.</param>
/// <param name="Total">Points in the buckets.</param>
/// <param name="Buckets">Buckets holding points, oldest first; empty intervals are left out.</param>
public sealed record TimeBucketedMetricResponse(
    Guid RunId,
    string MetricName,
    int Points,
    long BucketSeconds,
    DateTimeOffset? StartTime,
    DateTimeOffset? EndTime,
    long Total,
    IReadOnlyList<TimeBucketDto> Buckets);

/// <param name="Time">The bucket's start.</param>
/// <param name="Last">The value of the bucket's latest point (at <paramref name="LastTime"/>).</param>
/// <param name="NonFinite">Points whose value was NaN or ±Infinity (left out of min/max/avg).</param>
public sealed record TimeBucketDto(
    DateTimeOffset Time, long Count, double? Min, double? Max, double? Avg, double Last, DateTimeOffset LastTime, long? FirstStep, long? LastStep, long NonFinite);
