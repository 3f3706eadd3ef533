using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;

namespace Metrics.Application.Common.Abstractions;

/// <summary>Bulk, all-or-nothing writes. Points whose identity is already stored are skipped.</summary>
public interface IMetricWriter
{
    /// <param name="claims">Runs a project-bound key claims, in the same transaction (none for an unbound key).</param>
    /// <returns>The points that were new, in input order; the rest were duplicates of stored points.</returns>
    /// <exception cref="Exceptions.ForbiddenException">A claimed run is another project's; nothing was written.</exception>
    Task<IReadOnlyList<Metric>> WriteMetricsAsync(IReadOnlyList<Metric> metrics, IReadOnlyList<RunClaim> claims, CancellationToken cancellationToken);

    /// <returns>How many points were new; the rest were duplicates of stored points.</returns>
    Task<int> WriteSystemMetricsAsync(IReadOnlyList<SystemMetric> metrics, IReadOnlyList<RunClaim> claims, CancellationToken cancellationToken);
}
