using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Bench;

/// <summary>Direct PostgreSQL work: seeding, the COPY limit, and checking what was stored.</summary>
internal sealed class Database(string connectionString)
{
    /// <summary>The 1,000,000-point series the read benchmarks use; fixed so seeding happens once.</summary>
    public static readonly Guid ReadRun = Guid.Parse("0b5e55ed-0000-4000-8000-000000000001");

    public async Task<long> ApproximateRowsAsync() =>
        await ScalarAsync<long>("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relname = 'metrics'");

    public async Task<long> CountAsync(IReadOnlyCollection<Guid> runs)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM metrics WHERE run_id = ANY(@runs)", connection);
        command.Parameters.AddWithValue("runs", runs.ToArray());
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>
    /// Background rows (runs × 20 names) and the read series, written with COPY and then given
    /// summaries the way the service's migration backfills them.
    /// </summary>
    public async Task SeedAsync(long backgroundRows, TextWriter log)
    {
        if (await ScalarAsync<long>($"SELECT count(*) FROM metric_summaries WHERE run_id = '{ReadRun}'") > 0 &&
            await ApproximateRowsAsync() >= backgroundRows)
        {
            log.WriteLine($"seed: already present (~{await ApproximateRowsAsync():N0} rows)");
            return;
        }

        var clock = Stopwatch.StartNew();
        var readSeries = new Workload(ReadRun, 1).Next(20_000_000).Where(p => p.Name == "train/loss").Take(1_000_000);
        await CopyAsync(readSeries);
        var runs = new List<Guid> { ReadRun };
        for (var i = 0; i < backgroundRows / 20_000; i++)
        {
            var workload = new Workload(Guid.NewGuid(), i);
            runs.Add(workload.RunId);
            await CopyAsync(workload.Next(20_000));
        }

        await ExecuteAsync("""
            INSERT INTO metric_summaries (run_id, metric_name, count, finite_count, nan_count, inf_count, min_value, max_value,
                mean, m2, first_time, last_time, latest_step, latest_time, latest_value, latest_metadata)
            SELECT b.run_id, b.metric_name, b.n, b.n, 0, 0, b.min_v, b.max_v, b.mean, b.m2, b.first_t, b.last_t,
                   l.step, l.time, l.value, l.metadata
            FROM (SELECT run_id, metric_name, count(*) n, min(value) min_v, max(value) max_v, avg(value::numeric) mean,
                         var_pop(value::numeric) * count(*) m2, min(time) first_t, max(time) last_t
                  FROM metrics WHERE run_id = ANY(@runs) GROUP BY run_id, metric_name) b
            JOIN (SELECT DISTINCT ON (run_id, metric_name) run_id, metric_name, step, time, value, metadata
                  FROM metrics WHERE run_id = ANY(@runs) ORDER BY run_id, metric_name, step DESC NULLS LAST, time DESC) l
            USING (run_id, metric_name)
            ON CONFLICT (run_id, metric_name) DO NOTHING
            """, ("runs", runs.ToArray()));
        await ExecuteAsync("ANALYZE metrics");
        await ExecuteAsync("ANALYZE metric_summaries");
        log.WriteLine($"seed: {1_000_000 + (runs.Count - 1) * 20_000L:N0} rows in {clock.Elapsed.TotalSeconds:F0}s");
    }

    /// <summary>The write limit: binary COPY of fresh rows of the same shape into the same table and indexes.</summary>
    public async Task<double> CopyLimitAsync(TimeSpan duration, int rowsPerCopy, List<Guid> runs)
    {
        var clock = Stopwatch.StartNew();
        long rows = 0;
        var seed = 100_000;
        while (clock.Elapsed < duration)
        {
            var workload = new Workload(Guid.NewGuid(), seed++);
            runs.Add(workload.RunId);
            await CopyAsync(workload.Next(rowsPerCopy));
            rows += rowsPerCopy;
        }

        return rows / clock.Elapsed.TotalSeconds;
    }

    private async Task CopyAsync(IEnumerable<(Guid Run, string Name, long Step, double Value, DateTime Time, string? Metadata)> points)
    {
        await using var connection = await OpenAsync();
        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY metrics (run_id, metric_name, step, value, time, metadata) FROM STDIN (FORMAT BINARY)");
        foreach (var p in points)
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(p.Run, NpgsqlDbType.Uuid);
            await importer.WriteAsync(p.Name, NpgsqlDbType.Text);
            await importer.WriteAsync(p.Step, NpgsqlDbType.Bigint);
            await importer.WriteAsync(p.Value, NpgsqlDbType.Double);
            await importer.WriteAsync(p.Time, NpgsqlDbType.TimestampTz);
            if (p.Metadata is null)
            {
                await importer.WriteNullAsync();
            }
            else
            {
                await importer.WriteAsync(p.Metadata, NpgsqlDbType.Jsonb);
            }
        }

        await importer.CompleteAsync();
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return connection;
    }

    private async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 600 };
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = await OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
