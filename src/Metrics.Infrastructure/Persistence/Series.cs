namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// The series dictionary: each (run, metric name) once, under a bigint id that every stored point
/// carries instead of its uuid and name (see ADR 0021).
/// </summary>
internal sealed class Series
{
    public long SeriesId { get; init; }

    public Guid RunId { get; init; }

    public string MetricName { get; init; } = string.Empty;
}

/// <summary>One stored point of a series. Written by binary COPY only; read through the <c>metrics</c> view or SQL.</summary>
internal sealed class SeriesPoint
{
    public long SeriesId { get; init; }

    public long? Step { get; init; }

    public DateTime Time { get; init; }

    public double Value { get; init; }

    public string? Metadata { get; init; }
}
