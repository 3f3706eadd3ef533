namespace Metrics.Application.Runs.Queries.CheckRunAccess;

/// <summary>The check itself is the pipeline's (ProjectScopeBehaviour); reaching here means allowed.</summary>
internal sealed class CheckRunAccessQueryHandler : IQueryHandler<CheckRunAccessQuery, Unit>
{
    public ValueTask<Unit> Handle(CheckRunAccessQuery query, CancellationToken cancellationToken) => ValueTask.FromResult(Unit.Value);
}
