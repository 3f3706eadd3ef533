using Microsoft.Extensions.Options;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Exceptions;
using Metrics.Application.Common.Models;
using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// The ingest path: binary COPY (or, where the server has no COPY, one INSERT from unnest'ed
/// arrays) into a per-session staging table, then one INSERT … SELECT … ON CONFLICT DO NOTHING
/// into the real table (for metrics, also merging the series summaries; see
/// <see cref="SummarySql"/>), in one transaction. The INSERT applies the identity index, so
/// retries and in-batch repeats are skipped while the rest of the batch commits (or none of it
/// does), whichever way the rows were staged.
/// </summary>
internal sealed class MetricWriter(NpgsqlDataSource dataSource, IOptions<WriteOptions> options, TimeProvider clock) : IMetricWriter
{
    // Auto until the first write decides (then Copy or Insert).
    private volatile WriteMode _stageMode = options.Value.Mode;

    private static readonly BulkTarget<Metric> MetricsTarget = new(
        "metrics",
        SummarySql.InsertMetricsStatement,
        [
            new Column<Metric, Guid>("run_id", NpgsqlDbType.Uuid, m => m.RunId),
            new Column<Metric, string>("metric_name", NpgsqlDbType.Text, m => m.Name),
            new Column<Metric, long?>("step", NpgsqlDbType.Bigint, m => m.Step),
            new Column<Metric, double>("value", NpgsqlDbType.Double, m => m.Value),
            new Column<Metric, DateTime>("time", NpgsqlDbType.TimestampTz, m => m.Time),
            new Column<Metric, string?>("metadata", NpgsqlDbType.Jsonb, m => m.Metadata),
        ]);

    private static readonly BulkTarget<SystemMetric> SystemMetricsTarget = new(
        "system_metrics",
        """
        INSERT INTO system_metrics (run_id, metric_type, value, time, metadata)
        SELECT run_id, metric_type, value, time, metadata FROM system_metrics_stage ORDER BY ord
        ON CONFLICT DO NOTHING
        """,
        [
            new Column<SystemMetric, Guid>("run_id", NpgsqlDbType.Uuid, m => m.RunId),
            new Column<SystemMetric, string>("metric_type", NpgsqlDbType.Text, m => m.Type),
            new Column<SystemMetric, double>("value", NpgsqlDbType.Double, m => m.Value),
            new Column<SystemMetric, DateTime>("time", NpgsqlDbType.TimestampTz, m => m.Time),
            new Column<SystemMetric, string?>("metadata", NpgsqlDbType.Jsonb, m => m.Metadata),
        ]);

    public Task<IReadOnlyList<Metric>> WriteMetricsAsync(IReadOnlyList<Metric> metrics, IReadOnlyList<RunClaim> claims, CancellationToken cancellationToken) =>
        WriteAsync(MetricsTarget, metrics, claims, async (insert, ct) =>
        {
            // Which points were new decides what is published live: a retry publishes nothing.
            var inserted = new HashSet<(Guid, string, long?, DateTime)>();
            await using (var reader = await insert.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    inserted.Add((reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), reader.GetDateTime(3)));
                }
            }

            // The stored point of an identity is its first occurrence (see 'ord'), and so is the
            // one matched here: what is reported and published as new is what was stored.
            return inserted.Count == metrics.Count
                ? metrics
                : (IReadOnlyList<Metric>)metrics.Where(m => inserted.Remove((m.RunId, m.Name, m.Step, m.Time))).ToList();
        }, cancellationToken);

    public Task<int> WriteSystemMetricsAsync(IReadOnlyList<SystemMetric> metrics, IReadOnlyList<RunClaim> claims, CancellationToken cancellationToken) =>
        WriteAsync(SystemMetricsTarget, metrics, claims, (insert, ct) => insert.ExecuteNonQueryAsync(ct), cancellationToken);

    private async Task<TResult> WriteAsync<T, TResult>(
        BulkTarget<T> target,
        IReadOnlyList<T> rows,
        IReadOnlyList<RunClaim> claims,
        Func<NpgsqlCommand, CancellationToken, Task<TResult>> insert,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var claim in claims)
        {
            await ClaimAsync(connection, transaction, claim, cancellationToken);
        }

        await using (var stage = new NpgsqlCommand(target.CreateStageSql, connection, transaction))
        {
            await stage.ExecuteNonQueryAsync(cancellationToken);
        }

        var mode = _stageMode;
        if (mode == WriteMode.Auto)
        {
            mode = _stageMode = await DetectStageModeAsync(connection, transaction, cancellationToken);
        }

        if (mode == WriteMode.Copy)
        {
            await using var importer = await connection.BeginBinaryImportAsync(target.CopySql, cancellationToken);
            foreach (var row in rows)
            {
                await importer.StartRowAsync(cancellationToken);
                foreach (var column in target.Columns)
                {
                    await column.WriteAsync(importer, row, cancellationToken);
                }
            }

            await importer.CompleteAsync(cancellationToken);
        }
        else
        {
            await using var fill = new NpgsqlCommand(target.UnnestSql, connection, transaction);
            fill.Parameters.AddRange(target.Columns.Select(c => c.ToArray(rows)).ToArray());
            await fill.ExecuteNonQueryAsync(cancellationToken);
        }

        TResult result;
        await using (var command = new NpgsqlCommand(target.InsertSql, connection, transaction))
        {
            result = await insert(command, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>Claims the runs of a project-bound write in its transaction; throws (so nothing commits) when one is another project's.</summary>
    private async Task ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RunClaim claim, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(RunProjects.ClaimSql, connection, transaction)
        {
            Parameters =
            {
                new() { Value = claim.Project, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = claim.RunIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid },
                new() { Value = clock.GetUtcNow().UtcDateTime, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            },
        };
        if (await command.ExecuteScalarAsync(cancellationToken) is Guid foreign)
        {
            throw new ForbiddenException($"This API key is bound to project '{claim.Project}'; run {foreign} is not in it. Nothing was written.");
        }
    }

    // On the connection already held: such servers may allow a single connection. PGlite cannot
    // be probed with a COPY (it crashes), so it is recognised by its build.
    private static async Task<WriteMode> DetectStageModeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version()", connection, transaction);
        var version = (string?)await command.ExecuteScalarAsync(cancellationToken) ?? string.Empty;
        return version.Contains("Emscripten", StringComparison.OrdinalIgnoreCase) ? WriteMode.Insert : WriteMode.Copy;
    }

    private interface IColumn<in T>
    {
        string Name { get; }

        Task WriteAsync(NpgsqlBinaryImporter importer, T row, CancellationToken cancellationToken);

        /// <summary>The column of all rows as one typed array parameter (nulls inside it are SQL NULL).</summary>
        NpgsqlParameter ToArray(IReadOnlyList<T> rows);
    }

    /// <summary>One staged column, for both ways in: COPY row by row, or an array for unnest.</summary>
    private sealed class Column<T, TValue>(string name, NpgsqlDbType type, Func<T, TValue> value) : IColumn<T>
    {
        public string Name => name;

        public Task WriteAsync(NpgsqlBinaryImporter importer, T row, CancellationToken cancellationToken) =>
            value(row) is { } v ? importer.WriteAsync(v, type, cancellationToken) : importer.WriteNullAsync(cancellationToken);

        public NpgsqlParameter ToArray(IReadOnlyList<T> rows) =>
            new() { Value = rows.Select(value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type };
    }

    /// <param name="insertSql">Moves the staged rows into the table, skipping stored identities (ON CONFLICT DO NOTHING).</param>
    private sealed class BulkTarget<T>(string table, string insertSql, IColumn<T>[] columns)
    {
        private static string Stage(string table) => table + "_stage";

        private static string Names(IColumn<T>[] columns) => string.Join(", ", columns.Select(c => c.Name));

        // Temporary, so concurrent requests on other connections never see each other's rows;
        // ON COMMIT DELETE ROWS empties it for the connection's next batch. 'ord' numbers the rows
        // in the order they were staged (the batch's, and in a group the requests' in turn), so
        // the first of several points with one identity is the one stored.
        public string CreateStageSql { get; } =
            $"CREATE TEMP TABLE IF NOT EXISTS {Stage(table)} (LIKE {table} INCLUDING DEFAULTS, ord bigserial) ON COMMIT DELETE ROWS";

        public string CopySql { get; } = $"COPY {Stage(table)} ({Names(columns)}) FROM STDIN (FORMAT BINARY)";

        public string UnnestSql { get; } =
            $"INSERT INTO {Stage(table)} ({Names(columns)}) SELECT * FROM unnest({string.Join(", ", columns.Select((_, i) => $"${i + 1}"))})";

        public string InsertSql => insertSql;

        public IColumn<T>[] Columns => columns;
    }
}
