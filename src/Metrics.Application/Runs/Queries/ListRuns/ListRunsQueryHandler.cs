namespace Metrics.Application.Runs.Queries.ListRuns;

internal sealed class ListRunsQueryHandler(IRunCatalog runs, ICaller caller) : IQueryHandler<ListRunsQuery, RunListResponse>
{
    public async ValueTask<RunListResponse> Handle(ListRunsQuery query, CancellationToken cancellationToken)
    {
        RunCursor.TryParse(query.Cursor, out var after); // validated already

        // One more than asked: whether it exists says if there is a next page. A key bound to a
        // project lists its project's runs only.
        var filter = new RunFilter(query.Limit + 1, query.Search, query.Tags ?? [], query.Status, after, caller.Project);
        var page = await runs.ListAsync(filter, cancellationToken);
        var shown = page.Take(query.Limit).ToList();
        var next = page.Count > query.Limit ? new RunCursor(shown[^1].LastActivity, shown[^1].RunId).ToString() : null;
        return new RunListResponse(shown.Select(RunDto.From).ToList(), next);
    }
}
