using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// TimescaleDB storage settings, applied at every start (<see cref="StoragePolicies"/>); ignored on
/// plain PostgreSQL.
/// </summary>
public sealed class StorageOptions
{
    [ConfigurationKeyName("CHUNK_INTERVAL_HOURS")]
    [Range(1, 36_500, ErrorMessage = "CHUNK_INTERVAL_HOURS must be a whole number from {1} to {2}.")]
    public int ChunkIntervalHours { get; set; } = 24;

    /// <summary>0 turns the compression policy off.</summary>
    [ConfigurationKeyName("COMPRESS_AFTER_DAYS")]
    [Range(0, 36_500, ErrorMessage = "COMPRESS_AFTER_DAYS must be a whole number from {1} to {2} (0 turns compression off).")]
    public int CompressAfterDays { get; set; } = 7;

    /// <summary>Unset: points are kept forever.</summary>
    [ConfigurationKeyName("RETENTION_DAYS")]
    [Range(1, 36_500, ErrorMessage = "RETENTION_DAYS must be a whole number from {1} to {2}, or unset to keep points forever.")]
    public int? RetentionDays { get; set; }

    public TimeSpan ChunkInterval => TimeSpan.FromHours(ChunkIntervalHours);

    public TimeSpan? CompressAfter => CompressAfterDays == 0 ? null : TimeSpan.FromDays(CompressAfterDays);

    public TimeSpan? Retention => RetentionDays is { } days ? TimeSpan.FromDays(days) : null;
}
