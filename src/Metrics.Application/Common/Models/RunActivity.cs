namespace Metrics.Application.Common.Models;

/// <summary>A run as the run list shows it: latest point time (UTC), points stored, metric names.</summary>
public sealed record RunActivity(Guid RunId, DateTime LastActivity, long PointCount, IReadOnlyList<string> MetricNames);
