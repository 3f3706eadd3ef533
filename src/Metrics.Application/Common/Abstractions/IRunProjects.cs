namespace Metrics.Application.Common.Abstractions;

/// <summary>Which project each run belongs to (runs written only by unbound keys belong to none).</summary>
public interface IRunProjects
{
    /// <summary>
    /// Of <paramref name="runIds"/>, those not in <paramref name="project"/>. With
    /// <paramref name="claimable"/> (a write), runs that belong to no project and hold no points yet
    /// are not counted: the write claims them in its own transaction (<see cref="Models.RunClaim"/>).
    /// </summary>
    Task<IReadOnlyList<Guid>> ForeignRunsAsync(IReadOnlyCollection<Guid> runIds, string project, bool claimable, CancellationToken cancellationToken);
}
