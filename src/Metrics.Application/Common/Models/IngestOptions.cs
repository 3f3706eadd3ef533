using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Metrics.Application.Common.Models;

public sealed class IngestOptions
{
    /// <summary>Most points accepted in one batch request.</summary>
    [ConfigurationKeyName("BATCH_SIZE")]
    [Range(1, 1_000_000, ErrorMessage = "BATCH_SIZE must be a whole number from {1} to {2}.")]
    public int MaxBatchSize { get; set; } = 1000;

    /// <summary>How far past now a point's time may lie; the earliest is 1970-01-01.</summary>
    [ConfigurationKeyName("MAX_FUTURE_HOURS")]
    [Range(0, 10_000_000, ErrorMessage = "MAX_FUTURE_HOURS must be a whole number from {1} to {2}.")]
    public int MaxFutureHours { get; set; } = 24;

    public TimeSpan FutureAllowance => TimeSpan.FromHours(MaxFutureHours);
}
