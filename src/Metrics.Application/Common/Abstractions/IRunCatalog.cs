namespace Metrics.Application.Common.Abstractions;

/// <summary>Runs as people know them: described (name, tags, config, status) and with their activity.</summary>
public interface IRunCatalog
{
    /// <summary>Creates or updates a run's description; a project-bound key claims a new run in the same transaction.</summary>
    /// <exception cref="Exceptions.ForbiddenException">The run is another project's; nothing was written.</exception>
    Task DescribeAsync(RunDescription description, IReadOnlyList<RunClaim> claims, CancellationToken cancellationToken);

    /// <summary>A run that was described or has points; null otherwise.</summary>
    Task<RunRecord?> GetAsync(Guid runId, CancellationToken cancellationToken);

    /// <summary>Up to <see cref="RunFilter.Limit"/> runs, most recent activity first (ties by id).</summary>
    Task<IReadOnlyList<RunRecord>> ListAsync(RunFilter filter, CancellationToken cancellationToken);
}
