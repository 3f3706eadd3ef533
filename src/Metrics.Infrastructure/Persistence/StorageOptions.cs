using Metrics.Infrastructure.Configuration;
using Microsoft.Extensions.Configuration;

namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// TimescaleDB storage settings, applied at every start (<see cref="StoragePolicies"/>); ignored on
/// plain PostgreSQL. CHUNK_INTERVAL_HOURS (default 24), COMPRESS_AFTER_DAYS (default 7; 0 turns
/// the compression policy off), RETENTION_DAYS (default: keep points forever).
/// </summary>
public sealed class StorageOptions
{
    private const int MaxSetting = 36_500;

    public TimeSpan ChunkInterval { get; set; } = TimeSpan.FromDays(1);

    public TimeSpan? CompressAfter { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan? Retention { get; set; }

    public static void Bind(StorageOptions options, IConfiguration configuration)
    {
        if (configuration.GetWholeNumber("CHUNK_INTERVAL_HOURS", min: 1, max: MaxSetting) is { } hours)
        {
            options.ChunkInterval = TimeSpan.FromHours(hours);
        }

        if (configuration.GetWholeNumber("COMPRESS_AFTER_DAYS", min: 0, max: MaxSetting) is { } compressDays)
        {
            options.CompressAfter = compressDays == 0 ? null : TimeSpan.FromDays(compressDays);
        }

        if (configuration.GetWholeNumber("RETENTION_DAYS", min: 1, max: MaxSetting) is { } retentionDays)
        {
            options.Retention = TimeSpan.FromDays(retentionDays);
        }
    }
}
