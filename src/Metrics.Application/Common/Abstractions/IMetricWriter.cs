using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;

namespace Metrics.Application.Common.Abstractions;

/// <summary>Bulk, all-or-nothing writes. Points whose identity is already stored are skipped.</summary>
public interface IMetricWriter
{
    /// <returns>The points that were new, in input order; the rest were duplicates of stored points.</returns>
    Task<IReadOnlyList<Metric>> WriteMetricsAsync(IReadOnlyList<Metric> metrics, CancellationToken cancellationToken);

    /// <returns>How many points were new; the rest were duplicates of stored points.</returns>
    Task<int> WriteSystemMetricsAsync(IReadOnlyList<SystemMetric> metrics, CancellationToken cancellationToken);
}
