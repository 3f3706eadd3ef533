namespace Metrics.Application.Runs.Queries.GetRunMetricNames;

internal sealed class GetRunMetricNamesQueryHandler(IMetricReader reader) : IQueryHandler<GetRunMetricNamesQuery, RunMetricNamesResponse>
{
    public async ValueTask<RunMetricNamesResponse> Handle(GetRunMetricNamesQuery query, CancellationToken cancellationToken) =>
        new(query.RunId, await reader.GetMetricNamesAsync(query.RunId, cancellationToken));
}
