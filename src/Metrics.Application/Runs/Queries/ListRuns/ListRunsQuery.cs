namespace Metrics.Application.Runs.Queries.ListRuns;

/// <summary>
/// Runs with the most recent activity first, for run tables and pickers: <c>search</c> matches a
/// name (anywhere, any case) or an id prefix; each of <c>tags</c> must be present; <c>cursor</c>
/// continues from a previous page's <c>next_cursor</c>. Not cached: every write changes the answer,
/// and it reads one summary row per series rather than points.
/// </summary>
public sealed record ListRunsQuery(
    int Limit = ListRunsQuery.DefaultLimit,
    string? Search = null,
    IReadOnlyList<string>? Tags = null,
    string? Status = null,
    string? Cursor = null) : IQuery<RunListResponse>
{
    public const int DefaultLimit = 50;

    public const int MaxLimit = 1000;

    public const int MaxSearchLength = 200;
}

/// <param name="NextCursor">Pass as <c>cursor</c> for the next page; null on the last page.</param>
public sealed record RunListResponse(IReadOnlyList<RunDto> Runs, string? NextCursor);
