using Mediator;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Models;

namespace Metrics.Application.Metrics.Queries.GetRunMetrics;

internal sealed class GetRunMetricsQueryHandler(IMetricReader reader) : IQueryHandler<GetRunMetricsQuery, RunMetricsResponse>
{
    public async ValueTask<RunMetricsResponse> Handle(GetRunMetricsQuery query, CancellationToken cancellationToken)
    {
        var metrics = query.MetricNames is { Count: > 0 } names
            ? await reader.GetSeriesAsync(names.Distinct().Select(n => new SeriesKey(query.RunId, n)).ToList(), query.ToPointRange(), cancellationToken)
            : await reader.GetMetricsAsync(query.RunId, query.MetricName, query.ToPointRange(), cancellationToken);
        return new RunMetricsResponse(query.RunId, metrics.ToDtos(), metrics.Count);
    }
}
