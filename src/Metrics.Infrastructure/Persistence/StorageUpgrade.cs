using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// Moves the points a version before series ids stored (left in <c>metrics_v1</c> by migration
/// SeriesAndPoints) into <c>points</c>, a few series at a time. Each chunk commits together with
/// the progress row, so an interrupted upgrade resumes after its last committed chunk and never
/// moves a point twice. Runs at start-up under the migration lock, before the service serves.
/// </summary>
internal static class StorageUpgrade
{
    // Enough to amortise each transaction, small enough that a restart loses little work.
    private const long PointsPerChunk = 500_000;

    public static async Task RunAsync(NpgsqlConnection connection, ILogger logger, CancellationToken cancellationToken)
    {
        if (await ScalarAsync<bool>(connection, "SELECT to_regclass('metrics_v1') IS NULL", cancellationToken))
        {
            return;
        }

        // The summaries count each series' points: they size the chunks and the estimate of time left.
        var total = await ScalarAsync<long>(connection, "SELECT coalesce(sum(count), 0)::bigint FROM metric_summaries", cancellationToken);
        var moved = await ScalarAsync<long>(connection, "SELECT moved FROM points_upgrade", cancellationToken);
        if (total > 0)
        {
            logger.LogInformation("Storage upgrade: moving {Total:N0} points into the series-keyed table ({Moved:N0} already moved)", total, moved);
        }

        var clock = Stopwatch.StartNew();
        var movedHere = 0L;
        while (await NextChunkAsync(connection, cancellationToken) is { } upTo)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            // LATERAL … OFFSET 0 keeps one index scan of the old identity index per series (a join
            // could hash the whole old table for every chunk).
            await using var move = new NpgsqlCommand("""
                WITH done AS (SELECT last_series_id FROM points_upgrade),
                moved AS (
                    INSERT INTO points (series_id, step, time, value, metadata)
                    SELECT s.series_id, m.step, m.time, m.value, m.metadata
                    FROM series s
                    CROSS JOIN LATERAL (
                        SELECT step, time, value, metadata FROM metrics_v1 m
                        WHERE m.run_id = s.run_id AND m.metric_name = s.metric_name
                        OFFSET 0
                    ) m
                    WHERE s.series_id > (SELECT last_series_id FROM done) AND s.series_id <= @up_to
                    ORDER BY s.series_id, m.step, m.time
                    RETURNING 1
                )
                UPDATE points_upgrade SET last_series_id = @up_to, moved = moved + (SELECT count(*) FROM moved)
                RETURNING moved
                """, connection, transaction);
            move.Parameters.AddWithValue("up_to", upTo);
            var nowMoved = (long)(await move.ExecuteScalarAsync(cancellationToken))!;
            await transaction.CommitAsync(cancellationToken);

            movedHere += nowMoved - moved;
            moved = nowMoved;
            var rate = movedHere / Math.Max(clock.Elapsed.TotalSeconds, 0.001);
            logger.LogInformation(
                "Storage upgrade: {Moved:N0} of {Total:N0} points moved ({Rate:N0}/s, about {Left:N0} s left)",
                moved, total, rate, Math.Max(0, total - moved) / Math.Max(rate, 1));
        }

        await using (var finish = new NpgsqlCommand("DROP TABLE metrics_v1; DROP TABLE points_upgrade", connection))
        {
            await finish.ExecuteNonQueryAsync(cancellationToken);
        }

        logger.LogInformation("Storage upgrade: done, {Moved:N0} points in {Seconds:N1} s", moved, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The last series id of the next chunk: series after the last moved one, up to about <see cref="PointsPerChunk"/> points; null when all are moved.</summary>
    private static async Task<long?> NextChunkAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT max(series_id) FROM (
                SELECT s.series_id, sum(coalesce(m.count, 0)) OVER (ORDER BY s.series_id) - coalesce(m.count, 0) AS before
                FROM series s LEFT JOIN metric_summaries m USING (run_id, metric_name)
                WHERE s.series_id > (SELECT last_series_id FROM points_upgrade)
            ) c
            WHERE before < @chunk
            """, connection);
        command.Parameters.AddWithValue("chunk", PointsPerChunk);
        return await command.ExecuteScalarAsync(cancellationToken) is long upTo ? upTo : null;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
