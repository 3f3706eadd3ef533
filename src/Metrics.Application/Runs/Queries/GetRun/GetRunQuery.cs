namespace Metrics.Application.Runs.Queries.GetRun;

/// <summary>One run's description and activity; 404 for a run that was neither described nor written to.</summary>
public sealed record GetRunQuery(Guid RunId) : IQuery<RunDto>, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];
}
