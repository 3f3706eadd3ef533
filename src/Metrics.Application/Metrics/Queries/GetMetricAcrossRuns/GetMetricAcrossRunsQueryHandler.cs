namespace Metrics.Application.Metrics.Queries.GetMetricAcrossRuns;

internal sealed class GetMetricAcrossRunsQueryHandler(IMetricReader reader) : IQueryHandler<GetMetricAcrossRunsQuery, MetricAcrossRunsResponse>
{
    public async ValueTask<MetricAcrossRunsResponse> Handle(GetMetricAcrossRunsQuery query, CancellationToken cancellationToken)
    {
        var runs = query.RunIds.Distinct().ToList();
        var range = query.ToPointRange();
        if (!((ICachedQuery)query).IsCacheable)
        {
            // Each run's points are read while the response is written, one run after another; the
            // first run's query runs now, so an unreachable database is still a proper error.
            IAsyncEnumerable<MetricDto> Points(Guid run) => reader.StreamSeries([new SeriesKey(run, query.MetricName)], range).Select(m => m.ToDto());
            var first = await PointStream<MetricDto>.OpenAsync(Points(runs[0]), cancellationToken);
            return new MetricAcrossRunsResponse(query.MetricName, runs
                .Select((r, i) => new RunSeriesDto(r, i == 0 ? first : PointStream<MetricDto>.Streamed(Points(r))))
                .ToList());
        }

        var points = await reader.GetSeriesAsync(runs.Select(r => new SeriesKey(r, query.MetricName)).ToList(), range, cancellationToken);
        var byRun = points.ToLookup(p => p.RunId);
        return new MetricAcrossRunsResponse(query.MetricName, runs
            .Select(r => new RunSeriesDto(r, PointStream<MetricDto>.Of(byRun[r].ToList().ToDtos())))
            .ToList());
    }
}
