using Metrics.Domain.Common;

namespace Metrics.Domain.SystemMetrics;

/// <summary>
/// One host measurement for a run. Identity is (run, type, time, metadata): metadata tells
/// GPU 0 from GPU 1, so it is part of what makes a retry a duplicate.
/// </summary>
public sealed class SystemMetric
{
    private SystemMetric(Guid runId, string type, double value, DateTime time, string? metadata)
    {
        RunId = runId;
        Type = type;
        Value = value;
        Time = time;
        Metadata = metadata;
    }

    public Guid RunId { get; private set; }

    /// <summary>The wire name of a <see cref="SystemMetricType"/>; stored as text so new kinds need no migration.</summary>
    public string Type { get; private set; }

    public double Value { get; private set; }

    public DateTime Time { get; private set; }

    public string? Metadata { get; private set; }

    public static SystemMetric Create(Guid runId, SystemMetricType type, double value, DateTimeOffset time, string? metadata)
    {
        if (runId == Guid.Empty)
        {
            throw new ArgumentException("A system metric belongs to a run.", nameof(runId));
        }

        return new SystemMetric(runId, type.ToName(), value, DomainTime.Normalize(time), metadata);
    }
}
