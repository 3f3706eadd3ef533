using Metrics.Application.Common.Exceptions;

namespace Metrics.Application.Metrics.Queries.GetMetricStats;

internal sealed class GetMetricStatsQueryHandler(IMetricReader reader) : IQueryHandler<GetMetricStatsQuery, MetricStatsDto>
{
    public async ValueTask<MetricStatsDto> Handle(GetMetricStatsQuery query, CancellationToken cancellationToken)
    {
        return await reader.GetStatisticsAsync(query.RunId, query.MetricName, cancellationToken)
            ?? throw new NotFoundException($"Run {query.RunId} has no metric '{query.MetricName}'.");
    }
}
