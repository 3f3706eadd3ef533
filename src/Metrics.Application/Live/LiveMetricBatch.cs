using Metrics.Application.Metrics;

namespace Metrics.Application.Live;

/// <summary>
/// New points of one run, as pushed to live subscribers. <see cref="Seq"/> increases by one per
/// batch of the run, across instances, so a client that sees a jump knows to backfill over REST.
/// </summary>
public sealed record LiveMetricBatch(Guid RunId, long Seq, IReadOnlyList<MetricDto> Metrics)
{
    /// <summary>The same batch narrowed to the given names; null or empty means all.</summary>
    public LiveMetricBatch Only(IReadOnlySet<string>? names) =>
        names is null || names.Count == 0 ? this : this with { Metrics = Metrics.Where(m => names.Contains(m.MetricName)).ToList() };
}
