using Metrics.Domain.Common;

namespace Metrics.Domain.Metrics;

/// <summary>
/// One training metric point. Identity is (run, name, step, time): a second point with the
/// same identity is a retry and is not stored again.
/// </summary>
public sealed class Metric
{
    private Metric(Guid runId, string name, long? step, double value, DateTime time, string? metadata)
    {
        RunId = runId;
        Name = name;
        Step = step;
        Value = value;
        Time = time;
        Metadata = metadata;
    }

    public Guid RunId { get; private set; }

    public string Name { get; private set; }

    /// <summary>Training step; null for points logged without one.</summary>
    public long? Step { get; private set; }

    /// <summary>Any double, NaN and ±Infinity included: a diverging loss is data too.</summary>
    public double Value { get; private set; }

    /// <summary>UTC, microsecond precision.</summary>
    public DateTime Time { get; private set; }

    /// <summary>A JSON object as text, or null.</summary>
    public string? Metadata { get; private set; }

    public static Metric Create(Guid runId, string name, long? step, double value, DateTimeOffset time, string? metadata)
    {
        if (runId == Guid.Empty)
        {
            throw new ArgumentException("A metric belongs to a run.", nameof(runId));
        }

        if (!MetricRules.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid metric name.", nameof(name));
        }

        if (!MetricRules.IsValidStep(step))
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "Steps are never negative.");
        }

        return new Metric(runId, name, step, value, DomainTime.Normalize(time), metadata);
    }
}
