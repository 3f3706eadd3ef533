namespace Metrics.Application.Common.Models;

/// <summary>One series: a metric of a run.</summary>
public sealed record SeriesKey(Guid RunId, string MetricName);
