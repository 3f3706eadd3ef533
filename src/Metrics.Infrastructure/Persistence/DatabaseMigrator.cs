using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Metrics.Infrastructure.Persistence;

public static class DatabaseMigrator
{
    // Arbitrary, fixed: every instance of this service agrees on it.
    private const long MigrationLockKey = 0x4D657472_69637301;

    /// <summary>
    /// Applies pending migrations and the TimescaleDB storage settings, waiting for the database for up to <paramref name="wait"/>
    /// (it may still be starting). Instances starting together take turns under an advisory lock.
    /// </summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, TimeSpan wait, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MetricsDbContext>();
        var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DatabaseMigrator));
        var started = Stopwatch.GetTimestamp();

        while (true)
        {
            try
            {
                await db.Database.OpenConnectionAsync(cancellationToken);
                break;
            }
            catch (NpgsqlException ex) when (ex.IsTransient && Stopwatch.GetElapsedTime(started) < wait)
            {
                logger.LogWarning("Database not reachable yet ({Message}); retrying", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }

        try
        {
            await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_lock({MigrationLockKey})", cancellationToken);
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
                await StorageUpgrade.RunAsync((NpgsqlConnection)db.Database.GetDbConnection(), logger, cancellationToken);
                var storage = scope.ServiceProvider.GetRequiredService<IOptions<StorageOptions>>().Value;
                await StoragePolicies.ApplyAsync((NpgsqlConnection)db.Database.GetDbConnection(), storage, logger, cancellationToken);
            }
            finally
            {
                await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_unlock({MigrationLockKey})", CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
