using Mediator;

namespace Metrics.Application.Runs.Queries.ListRuns;

/// <summary>
/// The runs with the most recent activity (latest point time) first, for run pickers. Not cached:
/// every write changes the answer, and it reads one summary row per series rather than points.
/// </summary>
public sealed record ListRunsQuery(int Limit = ListRunsQuery.DefaultLimit) : IQuery<RunListResponse>
{
    public const int DefaultLimit = 50;

    public const int MaxLimit = 1000;
}

public sealed record RunListResponse(IReadOnlyList<RunSummaryDto> Runs);

/// <param name="LastActivity">The latest point time of any of the run's metrics.</param>
/// <param name="MetricNames">Every metric the run has, in name order.</param>
public sealed record RunSummaryDto(Guid RunId, DateTimeOffset LastActivity, long PointCount, IReadOnlyList<string> MetricNames);
