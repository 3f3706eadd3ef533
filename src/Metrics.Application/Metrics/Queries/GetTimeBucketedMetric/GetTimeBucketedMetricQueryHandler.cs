using Metrics.Domain.Common;
using Metrics.Domain.Metrics;

namespace Metrics.Application.Metrics.Queries.GetTimeBucketedMetric;

internal sealed class GetTimeBucketedMetricQueryHandler(IMetricReader reader) : IQueryHandler<GetTimeBucketedMetricQuery, TimeBucketedMetricResponse>
{
    private static readonly DateTime LatestTime = new(9000, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private static DateTime Min(DateTime a, DateTime b) => a < b ? a : b;

    public async ValueTask<TimeBucketedMetricResponse> Handle(GetTimeBucketedMetricQuery query, CancellationToken cancellationToken)
    {
        // The series' time range comes from its summary (one row), so an open range costs nothing extra.
        var stats = await reader.GetStatisticsAsync(query.RunId, query.MetricName, cancellationToken);
        var empty = new TimeBucketedMetricResponse(query.RunId, query.MetricName, query.Points, 0, null, null, 0, []);
        if (stats is null)
        {
            return empty;
        }

        // Cut to the times points may have (MetricRules.EarliestTime on), so bucket edges stay far from
        // DateTime's ends; an old -infinity time reads back as DateTime.MinValue and is cut too.
        var from = Max(query.StartTime is { } start ? DomainTime.Normalize(start) : stats.FirstTime, MetricRules.EarliestTime);
        var to = Min(query.EndTime is { } end ? DomainTime.Normalize(end) : stats.LastTime, LatestTime);
        if (to < from)
        {
            return empty; // an open end before an explicit start: nothing in range
        }

        var width = TimeBucketLayout.ChooseWidth(from, to, query.Points);
        var first = TimeBucketLayout.Floor(from, width);
        var endExclusive = TimeBucketLayout.End(to, width);
        var buckets = await reader.GetTimeBucketsAsync(query.RunId, query.MetricName, first, endExclusive, width, cancellationToken);
        return new TimeBucketedMetricResponse(
            query.RunId,
            query.MetricName,
            query.Points,
            (long)width.TotalSeconds,
            Utc(first),
            Utc(endExclusive),
            buckets.Sum(b => b.Count),
            buckets.Select(b => new TimeBucketDto(Utc(b.Start), b.Count, b.Min, b.Max, b.Avg, b.Last, Utc(b.LastTime), b.FirstStep, b.LastStep, b.NonFinite)).ToList());
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc), TimeSpan.Zero);
}
