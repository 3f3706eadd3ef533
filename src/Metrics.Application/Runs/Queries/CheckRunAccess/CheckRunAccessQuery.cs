namespace Metrics.Application.Runs.Queries.CheckRunAccess;

/// <summary>
/// Whether the caller may follow a run live (the hub and the raw WebSocket, which are not requests
/// of their own): passes, or fails with a 403 for a key bound to another project.
/// </summary>
public sealed record CheckRunAccessQuery(Guid RunId) : IQuery<Unit>, IRunScoped
{
    IEnumerable<Guid> IRunScoped.RunIds => [RunId];
}
