using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Bench;

/// <summary>Direct PostgreSQL work: seeding, the physical write limit, and checking what was stored.</summary>
internal sealed class Database(string connectionString)
{
    /// <summary>The 1,000,000-point series the read benchmarks use; fixed so seeding happens once.</summary>
    public static readonly Guid ReadRun = Guid.Parse("0b5e55ed-0000-4000-8000-000000000001");

    public async Task<long> ApproximateRowsAsync()
    {
        // A table never analyzed (e.g. just filled by the upgrade) has no estimate yet.
        if (await ScalarAsync<float>("SELECT reltuples FROM pg_class WHERE relname = 'points'") < 0)
        {
            await ExecuteAsync("ANALYZE points");
        }

        return await ScalarAsync<long>("SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE relname = 'points'");
    }

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
        var hasReadSeries = await ScalarAsync<long>($"SELECT count(*) FROM metric_summaries WHERE run_id = '{ReadRun}'") > 0;
        var present = await ApproximateRowsAsync();
        if (hasReadSeries && present >= backgroundRows)
        {
            log.WriteLine($"seed: already present (~{present:N0} rows)");
            return;
        }

        // A table seeded by a smaller run is topped up, not seeded again.
        var clock = Stopwatch.StartNew();
        var runs = new List<Guid>();
        if (!hasReadSeries)
        {
            await CopyAsync(new Workload(ReadRun, 1).Next(20_000_000).Where(p => p.Name == "train/loss").Take(1_000_000));
            runs.Add(ReadRun);
            present += 1_000_000;
        }

        for (var i = 0; i < Math.Max(0, backgroundRows - present) / 20_000; i++)
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
        await ExecuteAsync("ANALYZE points");
        await ExecuteAsync("ANALYZE metric_summaries");
        log.WriteLine($"seed: {(runs.Contains(ReadRun) ? 1_000_000 : 0) + (runs.Count(r => r != ReadRun) * 20_000L):N0} rows in {clock.Elapsed.TotalSeconds:F0}s");
    }

    /// <summary>
    /// What the machine can physically take: binary COPY of rows of the same shape, each point
    /// keyed by a bigint series id (as a series dictionary would store it), into a fresh table
    /// with one unique index (series_id, step, time), from <paramref name="sessions"/> sessions
    /// at once, one transaction per COPY. The table is dropped afterwards.
    /// </summary>
    public async Task<double> PhysicalLimitAsync(TimeSpan duration, int rowsPerCopy, int sessions)
    {
        await ExecuteAsync("""
            DROP TABLE IF EXISTS bench_limit;
            CREATE TABLE bench_limit (series_id bigint NOT NULL, step bigint, time timestamptz NOT NULL, value float8 NOT NULL, metadata jsonb);
            CREATE UNIQUE INDEX bench_limit_identity ON bench_limit (series_id, step, time);
            """);
        var clock = Stopwatch.StartNew();
        long rows = 0;
        await Task.WhenAll(Enumerable.Range(0, sessions).Select(async session =>
        {
            await using var connection = await OpenAsync();
            for (var copy = 0; clock.Elapsed < duration; copy++)
            {
                var workload = new Workload(Guid.NewGuid(), 200_000 + (session * 10_000) + copy);
                var firstSeries = ((session * 100_000L) + copy) * Workload.Names.Length;
                await using (var importer = await connection.BeginBinaryImportAsync(
                    "COPY bench_limit (series_id, step, time, value, metadata) FROM STDIN (FORMAT BINARY)"))
                {
                    foreach (var p in workload.Next(rowsPerCopy))
                    {
                        await importer.StartRowAsync();
                        await importer.WriteAsync(firstSeries + Array.IndexOf(Workload.Names, p.Name), NpgsqlDbType.Bigint);
                        await importer.WriteAsync(p.Step, NpgsqlDbType.Bigint);
                        await importer.WriteAsync(p.Time, NpgsqlDbType.TimestampTz);
                        await importer.WriteAsync(p.Value, NpgsqlDbType.Double);
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

                Interlocked.Add(ref rows, rowsPerCopy);
            }
        }));
        var rate = rows / clock.Elapsed.TotalSeconds;
        await ExecuteAsync("DROP TABLE bench_limit");
        return rate;
    }

    /// <summary>The postmaster's pid (the parent of this session's backend), when PostgreSQL runs on this machine.</summary>
    public async Task<int?> PostmasterPidAsync()
    {
        var backend = await ScalarAsync<int>("SELECT pg_backend_pid()");
        var status = $"/proc/{backend}/status";
        return File.Exists(status)
            ? int.Parse(File.ReadLines(status).First(l => l.StartsWith("PPid:", StringComparison.Ordinal))[5..].Trim(), System.Globalization.CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>Points of one run, straight into the service's tables (its series first).</summary>
    private async Task CopyAsync(IEnumerable<(Guid Run, string Name, long Step, double Value, DateTime Time, string? Metadata)> points)
    {
        var rows = points.ToList();
        await using var connection = await OpenAsync();
        var ids = new Dictionary<string, long>();
        await using (var series = new NpgsqlCommand("""
            INSERT INTO series (run_id, metric_name) SELECT @run, unnest(@names) ON CONFLICT DO NOTHING;
            SELECT metric_name, series_id FROM series WHERE run_id = @run
            """, connection))
        {
            series.Parameters.AddWithValue("run", rows[0].Run);
            series.Parameters.AddWithValue("names", rows.Select(p => p.Name).Distinct().ToArray());
            await using var reader = await series.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                ids[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        await using var importer = await connection.BeginBinaryImportAsync(
            "COPY points (series_id, step, value, time, metadata) FROM STDIN (FORMAT BINARY)");
        foreach (var p in rows)
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(ids[p.Name], NpgsqlDbType.Bigint);
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
