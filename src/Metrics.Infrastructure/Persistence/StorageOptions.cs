using Microsoft.Extensions.Configuration;

namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// TimescaleDB storage settings, applied at every start (<see cref="StoragePolicies"/>); ignored on
/// plain PostgreSQL. CHUNK_INTERVAL_HOURS (default 24), COMPRESS_AFTER_DAYS (default 7; 0 turns
/// the compression policy off), RETENTION_DAYS (default: keep points forever).
/// </summary>
public sealed class StorageOptions
{
    public TimeSpan ChunkInterval { get; set; } = TimeSpan.FromDays(1);

    public TimeSpan? CompressAfter { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan? Retention { get; set; }

    public static void Bind(StorageOptions options, IConfiguration configuration)
    {
        if (Read(configuration, "CHUNK_INTERVAL_HOURS", min: 1) is { } hours)
        {
            options.ChunkInterval = TimeSpan.FromHours(hours);
        }

        if (Read(configuration, "COMPRESS_AFTER_DAYS", min: 0) is { } compressDays)
        {
            options.CompressAfter = compressDays == 0 ? null : TimeSpan.FromDays(compressDays);
        }

        if (Read(configuration, "RETENTION_DAYS", min: 1) is { } retentionDays)
        {
            options.Retention = TimeSpan.FromDays(retentionDays);
        }
    }

    private static int? Read(IConfiguration configuration, string key, int min)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return int.TryParse(text, out var value) && value >= min && value <= 36_500
            ? value
            : throw new InvalidOperationException($"{key} must be a whole number from {min} to 36500, not '{text}'.");
    }
}
