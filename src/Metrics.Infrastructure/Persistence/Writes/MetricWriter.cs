using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Models;
using Metrics.Application.Common.Telemetry;
using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;
using Metrics.Infrastructure.Persistence.Replication;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence.Writes;

/// <summary>
/// The ingest path (ADR 0021), one transaction per call: claim the runs, resolve series ids, then
/// binary-COPY the points straight into <c>points</c>. Only when the unique index says a point is
/// already stored (or this instance knows one may be) are the points inserted with ON CONFLICT DO
/// NOTHING instead, which returns exactly the new ones. Summaries and rollups are computed here
/// from what was inserted and merged by one statement. Of points sharing an identity, in the call
/// or across concurrent calls, the first stored wins and only its caller is told it is new.
/// </summary>
internal sealed class MetricWriter(
    NpgsqlDataSource dataSource, CommitPositions positions, SeriesCatalog catalog, IOptions<WriteOptions> options, TimeProvider clock, ServiceMetrics telemetry) : IMetricWriter
{
    private long _copies;
    private long _copyConflicts;
    private long _inserts;

    // Auto until the first write decides (then Copy or Insert).
    private volatile WriteMode _mode = options.Value.Mode;

    public async Task<IReadOnlyList<Metric>> WriteMetricsAsync(IReadOnlyList<Metric> metrics, IReadOnlyList<RunClaim> claims, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await RunProjects.ClaimAsync(connection, transaction, claims, clock.GetUtcNow().UtcDateTime, cancellationToken);

        var learnt = new List<KeyValuePair<(Guid, string), long>>();
        var keys = new HashSet<(Guid, string)>();
        foreach (var m in metrics)
        {
            keys.Add((m.RunId, m.Name));
        }

        var ids = await catalog.ResolveAsync(keys, connection, transaction, learnt, cancellationToken);
        var rows = new PointRow[metrics.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            var m = metrics[i];
            rows[i] = new PointRow(ids[(m.RunId, m.Name)], m.Step, m.Time, i);
        }

        // Sorted by identity then arrival, repeats in the call are dropped here: the first one stays.
        Array.Sort(rows);
        var unique = Distinct(rows);

        var mode = _mode;
        if (mode == WriteMode.Auto)
        {
            mode = _mode = await DetectModeAsync(connection, transaction, cancellationToken);
        }

        PointRow[] inserted;
        string path;
        if (mode == WriteMode.Copy && !MayHoldStoredPoints(unique))
        {
            var copied = await TryCopyAsync(unique, metrics, connection, transaction, cancellationToken);
            (inserted, path) = copied is not null
                ? (copied, "copy")
                : (await InsertNewAsync(unique, metrics, connection, transaction, cancellationToken), "copy_conflict");
        }
        else
        {
            (inserted, path) = (await InsertNewAsync(unique, metrics, connection, transaction, cancellationToken), "insert");
        }

        var aggregates = GroupAggregates.Of(inserted, metrics);
        if (inserted.Length > 0)
        {
            await using var merge = AggregateSql.Command(aggregates, connection, transaction);
            await merge.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        await positions.AfterCommitAsync(connection, cancellationToken);
        _ = path switch
        {
            "copy" => Interlocked.Increment(ref _copies),
            "copy_conflict" => Interlocked.Increment(ref _copyConflicts),
            _ => Interlocked.Increment(ref _inserts),
        };
        telemetry.WriteGroups.Add(1, new KeyValuePair<string, object?>("path", path));

        catalog.Learn(learnt);
        foreach (var summary in aggregates.Summaries)
        {
            catalog.Stored(summary.SeriesId, summary.MaxStep, summary.MaxStepLessTime);
        }

        // The new points themselves (same instances), in the order they were sent.
        if (inserted.Length == metrics.Count)
        {
            return metrics;
        }

        var sources = inserted.Select(r => r.Source).ToArray();
        Array.Sort(sources);
        return sources.Select(i => metrics[i]).ToList();
    }

    /// <summary>Committed writes by path so far (copy, copy_conflict, insert): what tests look at.</summary>
    internal (long Copies, long CopyConflicts, long Inserts) Paths => (Interlocked.Read(ref _copies), Interlocked.Read(ref _copyConflicts), Interlocked.Read(ref _inserts));

    public async Task<int> WriteSystemMetricsAsync(IReadOnlyList<SystemMetric> metrics, IReadOnlyList<RunClaim> claims, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await RunProjects.ClaimAsync(connection, transaction, claims, clock.GetUtcNow().UtcDateTime, cancellationToken);

        // In the order sent: of repeats in the batch the first is stored, later ones are skipped like retries.
        await using var insert = new NpgsqlCommand("""
            INSERT INTO system_metrics (run_id, metric_type, value, time, metadata)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::timestamptz[], $5::jsonb[])
            ON CONFLICT DO NOTHING
            """, connection, transaction)
        {
            Parameters =
            {
                new() { Value = metrics.Select(m => m.RunId).ToArray() },
                new() { Value = metrics.Select(m => m.Type).ToArray() },
                new() { Value = metrics.Select(m => m.Value).ToArray() },
                new() { Value = metrics.Select(m => m.Time).ToArray() },
                new() { Value = metrics.Select(m => m.Metadata).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb },
            },
        };
        var inserted = await insert.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await positions.AfterCommitAsync(connection, cancellationToken);
        return inserted;
    }

    /// <summary>Moves the first row of each identity to the front; returns them (sorted rows in, sorted rows out).</summary>
    private static PointRow[] Distinct(PointRow[] rows)
    {
        var count = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            if (count == 0 || !rows[i].SameIdentity(rows[count - 1]))
            {
                rows[count++] = rows[i];
            }
        }

        return count == rows.Length ? rows : rows[..count];
    }

    private bool MayHoldStoredPoints(PointRow[] rows)
    {
        foreach (var row in rows)
        {
            if (catalog.MayBeStored(row.SeriesId, row.Step, row.Time))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The fast path: every point straight into the table by binary COPY, inside a savepoint. Null
    /// when a point was already stored (unique violation): the savepoint is rolled back and the
    /// caller inserts with ON CONFLICT instead.
    /// </summary>
    private static async Task<PointRow[]?> TryCopyAsync(
        PointRow[] rows, IReadOnlyList<Metric> metrics, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await transaction.SaveAsync("copy", cancellationToken);
        try
        {
            await using var importer = await connection.BeginBinaryImportAsync(
                "COPY points (series_id, step, time, value, metadata) FROM STDIN (FORMAT BINARY)", cancellationToken);
            foreach (var row in rows)
            {
                var m = metrics[row.Source];
                await importer.StartRowAsync(cancellationToken);
                await importer.WriteAsync(row.SeriesId, NpgsqlDbType.Bigint, cancellationToken);
                await WriteNullableAsync(importer, m.Step, NpgsqlDbType.Bigint, cancellationToken);
                await importer.WriteAsync(m.Time, NpgsqlDbType.TimestampTz, cancellationToken);
                await importer.WriteAsync(m.Value, NpgsqlDbType.Double, cancellationToken);
                await WriteNullableAsync(importer, m.Metadata, NpgsqlDbType.Jsonb, cancellationToken);
            }

            await importer.CompleteAsync(cancellationToken);
            return rows;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            await transaction.RollbackAsync("copy", cancellationToken);
            return null;
        }
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter importer, T? value, NpgsqlDbType type, CancellationToken cancellationToken) =>
        value is null ? importer.WriteNullAsync(cancellationToken) : importer.WriteAsync(value, type, cancellationToken);

    /// <summary>Inserts what is not stored yet, in identity order; returns the rows that were new.</summary>
    private static async Task<PointRow[]> InsertNewAsync(
        PointRow[] rows, IReadOnlyList<Metric> metrics, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // unnest keeps the arrays' (sorted) order, so concurrent inserts take index entries in one order.
        await using var insert = new NpgsqlCommand("""
            INSERT INTO points (series_id, step, time, value, metadata)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::float8[], $5::jsonb[])
            ON CONFLICT DO NOTHING
            RETURNING series_id, step, time
            """, connection, transaction)
        {
            Parameters =
            {
                new() { Value = rows.Select(r => r.SeriesId).ToArray() },
                new() { Value = rows.Select(r => r.Step).ToArray() },
                new() { Value = rows.Select(r => r.Time).ToArray() },
                new() { Value = rows.Select(r => metrics[r.Source].Value).ToArray() },
                new() { Value = rows.Select(r => metrics[r.Source].Metadata).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb },
            },
        };
        var stored = new HashSet<(long, long?, DateTime)>();
        await using (var reader = await insert.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                stored.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetInt64(1), reader.GetDateTime(2)));
            }
        }

        return stored.Count == rows.Length ? rows : rows.Where(r => stored.Contains((r.SeriesId, r.Step, r.Time))).ToArray();
    }

    // On the connection already held: such servers may allow a single connection. PGlite cannot
    // be probed with a COPY (it crashes), so it is recognised by its build.
    private static async Task<WriteMode> DetectModeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version()", connection, transaction);
        var version = (string?)await command.ExecuteScalarAsync(cancellationToken) ?? string.Empty;
        return version.Contains("Emscripten", StringComparison.OrdinalIgnoreCase) ? WriteMode.Insert : WriteMode.Copy;
    }
}
