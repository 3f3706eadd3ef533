namespace Metrics.Application.Common.Models;

/// <summary>Which points of a series to read; all bounds inclusive.</summary>
public sealed record PointRange(
    int Limit,
    DateTime? StartTime,
    DateTime? EndTime,
    long? MinStep,
    long? MaxStep,
    bool Ascending);
