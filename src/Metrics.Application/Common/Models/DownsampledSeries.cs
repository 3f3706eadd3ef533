using Metrics.Domain.Metrics;

namespace Metrics.Application.Common.Models;

/// <summary>A series reduced to step buckets, with its true first and last points.</summary>
public sealed record DownsampledSeries(long Total, IReadOnlyList<StepBucket> Buckets, Metric? First, Metric? Last);

/// <summary>
/// The points of one step interval: min/max/avg over finite values (null when none), the value at
/// the bucket's last step (<see cref="LastStep"/>, written at <see cref="LastTime"/>, UTC; may be NaN
/// or ±Infinity), and how many were not finite.
/// </summary>
public sealed record StepBucket(long FirstStep, long LastStep, long Count, double? Min, double? Max, double? Avg, double Last, long NonFinite, DateTime LastTime);
