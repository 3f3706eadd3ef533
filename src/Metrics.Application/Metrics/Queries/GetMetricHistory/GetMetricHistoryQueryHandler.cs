namespace Metrics.Application.Metrics.Queries.GetMetricHistory;

internal sealed class GetMetricHistoryQueryHandler(IMetricReader reader) : IQueryHandler<GetMetricHistoryQuery, MetricHistoryResponse>
{
    public async ValueTask<MetricHistoryResponse> Handle(GetMetricHistoryQuery query, CancellationToken cancellationToken)
    {
        var metrics = await reader.GetMetricsAsync(query.RunId, query.MetricName, query.ToPointRange(), cancellationToken);
        return new MetricHistoryResponse(query.RunId, query.MetricName, metrics.ToDtos(), metrics.Count);
    }
}
