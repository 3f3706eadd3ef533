namespace Metrics.Application.Common.Models;

/// <summary>
/// A project-bound key's write: the runs it writes to join <paramref name="Project"/> if they belong
/// to none and hold no points yet. Applied in the write's own transaction, so only a batch that
/// commits claims a run; a run that turns out to be another project's fails the write (403).
/// </summary>
public sealed record RunClaim(string Project, IReadOnlyList<Guid> RunIds)
{
    public static IReadOnlyList<RunClaim> For(string? project, IEnumerable<Guid> runIds) =>
        project is null ? [] : [new RunClaim(project, runIds.Distinct().ToList())];
}
