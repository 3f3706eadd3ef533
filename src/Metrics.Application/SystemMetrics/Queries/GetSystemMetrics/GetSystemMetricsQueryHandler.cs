namespace Metrics.Application.SystemMetrics.Queries.GetSystemMetrics;

internal sealed class GetSystemMetricsQueryHandler(IMetricReader reader) : IQueryHandler<GetSystemMetricsQuery, SystemMetricsResponse>
{
    public async ValueTask<SystemMetricsResponse> Handle(GetSystemMetricsQuery query, CancellationToken cancellationToken)
    {
        var metrics = await reader.GetSystemMetricsAsync(query.RunId, query.MetricType, query.ToPointRange(), cancellationToken);
        return new SystemMetricsResponse(query.RunId, metrics.ToDtos(), metrics.Count);
    }
}
