using Npgsql;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>Direct looks at the tables of one database, to check what was really stored.</summary>
public sealed class Db(NpgsqlDataSource dataSource)
{
    /// <summary>The PostgreSQL 15 test database, on its own connections.</summary>
    public static Db Postgres { get; } = new(new NpgsqlDataSourceBuilder(TestEnvironment.DatabaseConnectionString) { Name = "tests" }.Build());

    public async Task<long> CountMetricsAsync(Guid run) =>
        await ScalarAsync<long>("SELECT count(*) FROM metrics WHERE run_id = @run", run);

    public async Task<long> CountSystemMetricsAsync(Guid run) =>
        await ScalarAsync<long>("SELECT count(*) FROM system_metrics WHERE run_id = @run", run);

    /// <summary>Writes behind the API's back: neither the cache nor the series summary is told.</summary>
    public async Task InsertBehindTheApiAsync(Guid run, string name, long step, double value, DateTimeOffset? time = null)
    {
        await using var command = dataSource.CreateCommand(
            """
            WITH created AS (
                INSERT INTO series (run_id, metric_name) VALUES (@run, @name) ON CONFLICT DO NOTHING RETURNING series_id
            )
            INSERT INTO points (series_id, step, value, time)
            SELECT coalesce((SELECT series_id FROM created), (SELECT series_id FROM series WHERE run_id = @run AND metric_name = @name)),
                   @step, @value, coalesce(@time, now())
            """);
        command.Parameters.AddWithValue("run", run);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("step", step);
        command.Parameters.AddWithValue("value", value);
        command.Parameters.Add(new NpgsqlParameter("time", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)time?.UtcDateTime ?? DBNull.Value });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Rows of the run's 1024-step rollups that differ from the 64-step rollups folded 16 to one
    /// (what the migration's backfill computes), in either direction; 0 when both levels agree.
    /// </summary>
    public async Task<long> CoarseRollupMismatchesAsync(Guid run) =>
        await ScalarAsync<long>("""
            WITH folded AS (
                SELECT g.run_id, g.metric_name, g.block, g.n AS count, g.finite_n AS finite_count, g.min_v AS min_value,
                       g.max_v AS max_value, g.sum_v AS finite_sum, g.first_s AS first_step, l.last_step, l.last_time, l.last_value
                FROM (
                    SELECT run_id, metric_name, block >> 4 AS block, sum(count)::bigint AS n, sum(finite_count)::bigint AS finite_n,
                           min(min_value) AS min_v, max(max_value) AS max_v, sum(finite_sum) AS sum_v, min(first_step) AS first_s
                    FROM metric_rollups WHERE run_id = @run
                    GROUP BY run_id, metric_name, block >> 4
                ) g
                JOIN (
                    SELECT DISTINCT ON (run_id, metric_name, block >> 4) run_id, metric_name, block >> 4 AS block, last_step, last_time, last_value
                    FROM metric_rollups WHERE run_id = @run
                    ORDER BY run_id, metric_name, block >> 4, last_step DESC, last_time DESC
                ) l USING (run_id, metric_name, block)
            ), coarse AS (
                SELECT run_id, metric_name, block, count, finite_count, min_value, max_value, finite_sum, first_step, last_step, last_time, last_value
                FROM metric_rollups_coarse WHERE run_id = @run
            )
            SELECT count(*) FROM ((SELECT * FROM folded EXCEPT ALL SELECT * FROM coarse) UNION ALL (SELECT * FROM coarse EXCEPT ALL SELECT * FROM folded)) d
            """, run);

    public async Task<List<(long? Step, double Value, DateTime Time)>> ReadSeriesAsync(Guid run, string name)
    {
        await using var command = dataSource.CreateCommand("SELECT step, value, time FROM metrics WHERE run_id = @run AND metric_name = @name");
        command.Parameters.AddWithValue("run", run);
        command.Parameters.AddWithValue("name", name);
        await using var reader = await command.ExecuteReaderAsync();
        var points = new List<(long?, double, DateTime)>();
        while (await reader.ReadAsync())
        {
            points.Add((reader.IsDBNull(0) ? null : reader.GetInt64(0), reader.GetDouble(1), reader.GetDateTime(2)));
        }

        return points;
    }

    /// <summary>The first column of every row, as text (null as "").</summary>
    public async Task<List<string>> ColumnAsync(string sql, Guid? run = null)
    {
        await using var command = dataSource.CreateCommand(sql);
        if (run is { } id)
        {
            command.Parameters.AddWithValue("run", id);
        }

        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetValue(0).ToString()!);
        }

        return values;
    }

    /// <summary>A statement outside any transaction (TimescaleDB's refresh and compression procedures need that).</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql, Guid run)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("run", run);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
