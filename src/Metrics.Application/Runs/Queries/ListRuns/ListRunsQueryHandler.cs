using Mediator;
using Metrics.Application.Common.Abstractions;

namespace Metrics.Application.Runs.Queries.ListRuns;

internal sealed class ListRunsQueryHandler(IMetricReader reader, ICaller caller) : IQueryHandler<ListRunsQuery, RunListResponse>
{
    public async ValueTask<RunListResponse> Handle(ListRunsQuery query, CancellationToken cancellationToken)
    {
        // A key bound to a project lists its project's runs only.
        var runs = await reader.ListRunsAsync(query.Limit, caller.Project, cancellationToken);
        return new RunListResponse(runs
            .Select(r => new RunSummaryDto(r.RunId, new DateTimeOffset(r.LastActivity, TimeSpan.Zero), r.PointCount, r.MetricNames))
            .ToList());
    }
}
