using Mediator;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Models;

namespace Metrics.Application.Metrics.Queries.GetMetricAcrossRuns;

internal sealed class GetMetricAcrossRunsQueryHandler(IMetricReader reader) : IQueryHandler<GetMetricAcrossRunsQuery, MetricAcrossRunsResponse>
{
    public async ValueTask<MetricAcrossRunsResponse> Handle(GetMetricAcrossRunsQuery query, CancellationToken cancellationToken)
    {
        var runs = query.RunIds.Distinct().ToList();
        var points = await reader.GetSeriesAsync(runs.Select(r => new SeriesKey(r, query.MetricName)).ToList(), query.ToPointRange(), cancellationToken);
        var byRun = points.ToLookup(p => p.RunId);
        var series = runs.Select(r => byRun[r].ToList()).Select((p, i) => new RunSeriesDto(runs[i], p.ToDtos(), p.Count)).ToList();
        return new MetricAcrossRunsResponse(query.MetricName, series, points.Count);
    }
}
