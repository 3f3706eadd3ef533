using Metrics.Application.Metrics;
using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;

namespace Metrics.Application.Common.Abstractions;

public interface IMetricReader
{
    /// <summary>Points of a run, of one metric when <paramref name="metricName"/> is given.</summary>
    Task<IReadOnlyList<Metric>> GetMetricsAsync(Guid runId, string? metricName, PointRange range, CancellationToken cancellationToken);

    /// <summary>
    /// Points of several series in one round trip, up to <c>range.Limit</c> per series, grouped in
    /// the order the series are given.
    /// </summary>
    Task<IReadOnlyList<Metric>> GetSeriesAsync(IReadOnlyList<SeriesKey> series, PointRange range, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="GetSeriesAsync"/> read while the caller enumerates, for answers too large to hold
    /// whole; the query runs when enumeration starts, cancelled through the enumerator's token.
    /// </summary>
    IAsyncEnumerable<Metric> StreamSeries(IReadOnlyList<SeriesKey> series, PointRange range);

    /// <summary>The point with the highest step (step-less points and ties ordered by time), or null.</summary>
    Task<Metric?> GetLatestAsync(Guid runId, string metricName, CancellationToken cancellationToken);

    /// <summary>Statistics over every point of the series, or null when it has none.</summary>
    Task<MetricStatsDto?> GetStatisticsAsync(Guid runId, string metricName, CancellationToken cancellationToken);

    /// <summary>At most <paramref name="points"/> step buckets over the step range (default: the whole series).</summary>
    Task<DownsampledSeries> GetDownsampledAsync(Guid runId, string metricName, int points, long? minStep, long? maxStep, CancellationToken cancellationToken);

    /// <summary>
    /// Non-empty buckets of <paramref name="width"/> over [<paramref name="from"/>, <paramref name="to"/>),
    /// <paramref name="from"/> being a bucket edge, oldest first.
    /// </summary>
    Task<IReadOnlyList<TimeBucket>> GetTimeBucketsAsync(Guid runId, string metricName, DateTime from, DateTime to, TimeSpan width, CancellationToken cancellationToken);

    /// <summary>The run's metric names in ordinal order.</summary>
    Task<IReadOnlyList<string>> GetMetricNamesAsync(Guid runId, CancellationToken cancellationToken);

    Task<IReadOnlyList<SystemMetric>> GetSystemMetricsAsync(Guid runId, string? type, PointRange range, CancellationToken cancellationToken);
}
