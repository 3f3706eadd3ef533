namespace Metrics.Application.Metrics.Queries.GetDownsampledMetric;

internal sealed class GetDownsampledMetricQueryHandler(IMetricReader reader) : IQueryHandler<GetDownsampledMetricQuery, DownsampledMetricResponse>
{
    public async ValueTask<DownsampledMetricResponse> Handle(GetDownsampledMetricQuery query, CancellationToken cancellationToken)
    {
        var series = await reader.GetDownsampledAsync(query.RunId, query.MetricName, query.Points, query.MinStep, query.MaxStep, cancellationToken);
        return new DownsampledMetricResponse(
            query.RunId,
            query.MetricName,
            query.Points,
            series.Total,
            series.Buckets.Select(b => new StepBucketDto(b.LastStep, b.FirstStep, b.Count, b.Min, b.Max, b.Avg, b.Last, b.NonFinite, new DateTimeOffset(b.LastTime, TimeSpan.Zero))).ToList(),
            series.First?.ToDto(),
            series.Last?.ToDto());
    }
}
