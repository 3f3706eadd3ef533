using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence.Replication;

/// <summary>
/// How far the standby has replayed the primary's WAL, polled every 20 ms (one tiny query on the
/// standby). The value only grows while the same standby answers, so a position read here is a
/// lower bound of what a read sent to it now will see. 0 when no standby answers (reads then go to
/// the primary): unreachable, or promoted, after which "standby" names no host.
/// </summary>
internal sealed partial class StandbyReplay(NpgsqlDataSource standby, ILogger<StandbyReplay> logger) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(20);
    private long _replayed;
    private int _reachable = 1;

    public NpgsqlDataSource DataSource => standby;

    public ulong Replayed => (ulong)Interlocked.Read(ref _replayed);

    /// <summary>Whether a read that must see <paramref name="position"/> can go to the standby.</summary>
    public bool HasReplayed(ulong? position) => position is { } p && Replayed is var replayed && replayed > 0 && replayed >= p;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var command = standby.CreateCommand("SELECT pg_last_wal_replay_lsn()");
                var value = await command.ExecuteScalarAsync(stoppingToken);
                Interlocked.Exchange(ref _replayed, value is NpgsqlLogSequenceNumber lsn ? (long)(ulong)lsn : 0);
                if (Interlocked.Exchange(ref _reachable, 1) == 0)
                {
                    LogStandbyBack(logger);
                }
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                Interlocked.Exchange(ref _replayed, 0);
                if (Interlocked.Exchange(ref _reachable, 0) == 1)
                {
                    LogStandbyAway(logger, ex.Message);
                }

                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No standby answers ({Reason}); every read goes to the primary")]
    private static partial void LogStandbyAway(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "A standby answers again; cached reads may go to it")]
    private static partial void LogStandbyBack(ILogger logger);
}
