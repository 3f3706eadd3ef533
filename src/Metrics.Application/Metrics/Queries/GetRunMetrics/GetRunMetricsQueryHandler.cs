namespace Metrics.Application.Metrics.Queries.GetRunMetrics;

internal sealed class GetRunMetricsQueryHandler(IMetricReader reader) : IQueryHandler<GetRunMetricsQuery, RunMetricsResponse>
{
    public async ValueTask<RunMetricsResponse> Handle(GetRunMetricsQuery query, CancellationToken cancellationToken)
    {
        if (query.MetricNames is not { Count: > 0 } names)
        {
            var metrics = await reader.GetMetricsAsync(query.RunId, query.MetricName, query.ToPointRange(), cancellationToken);
            return new RunMetricsResponse(query.RunId, PointStream<MetricDto>.Of(metrics.ToDtos()));
        }

        var series = names.Distinct().Select(n => new SeriesKey(query.RunId, n)).ToList();
        if (((ICachedQuery)query).IsCacheable)
        {
            var metrics = await reader.GetSeriesAsync(series, query.ToPointRange(), cancellationToken);
            return new RunMetricsResponse(query.RunId, PointStream<MetricDto>.Of(metrics.ToDtos()));
        }

        var points = await PointStream<MetricDto>.OpenAsync(reader.StreamSeries(series, query.ToPointRange()).Select(m => m.ToDto()), cancellationToken);
        return new RunMetricsResponse(query.RunId, points);
    }
}
