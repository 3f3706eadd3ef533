using Metrics.Application.Common.Exceptions;

namespace Metrics.Application.Metrics.Queries.GetLatestMetric;

internal sealed class GetLatestMetricQueryHandler(IMetricReader reader) : IQueryHandler<GetLatestMetricQuery, MetricDto>
{
    public async ValueTask<MetricDto> Handle(GetLatestMetricQuery query, CancellationToken cancellationToken)
    {
        var latest = await reader.GetLatestAsync(query.RunId, query.MetricName, cancellationToken)
            ?? throw new NotFoundException($"Run {query.RunId} has no metric '{query.MetricName}'.");
        return latest.ToDto();
    }
}
