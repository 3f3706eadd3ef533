using Mediator;
using Metrics.Application.Common.Abstractions;

namespace Metrics.Application.Runs.Queries.ListRuns;

internal sealed class ListRunsQueryHandler(IMetricReader reader) : IQueryHandler<ListRunsQuery, RunListResponse>
{
    public async ValueTask<RunListResponse> Handle(ListRunsQuery query, CancellationToken cancellationToken)
    {
        var runs = await reader.ListRunsAsync(query.Limit, cancellationToken);
        return new RunListResponse(runs
            .Select(r => new RunSummaryDto(r.RunId, new DateTimeOffset(r.LastActivity, TimeSpan.Zero), r.PointCount, r.MetricNames))
            .ToList());
    }
}
