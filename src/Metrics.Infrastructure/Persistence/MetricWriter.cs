using Microsoft.Extensions.Options;
using Metrics.Application.Common.Abstractions;
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
internal sealed class MetricWriter(NpgsqlDataSource dataSource, IOptions<WriteOptions> options) : IMetricWriter
{
    private bool? _useCopy = options.Value.Mode == WriteMode.Auto ? null : options.Value.Mode == WriteMode.Copy;

    private static readonly BulkTarget<Metric> MetricsTarget = new(
        "metrics",
        "run_id, metric_name, step, value, time, metadata",
        SummarySql.InsertMetricsStatement,
        rows =>
        [
            Array(rows, m => m.RunId, NpgsqlDbType.Uuid),
            Array(rows, m => m.Name, NpgsqlDbType.Text),
            Array(rows, m => m.Step, NpgsqlDbType.Bigint),
            Array(rows, m => m.Value, NpgsqlDbType.Double),
            Array(rows, m => m.Time, NpgsqlDbType.TimestampTz),
            Array(rows, m => m.Metadata, NpgsqlDbType.Jsonb),
        ],
        static async (importer, m, ct) =>
        {
            await importer.WriteAsync(m.RunId, NpgsqlDbType.Uuid, ct);
            await importer.WriteAsync(m.Name, NpgsqlDbType.Text, ct);
            if (m.Step is { } step)
            {
                await importer.WriteAsync(step, NpgsqlDbType.Bigint, ct);
            }
            else
            {
                await importer.WriteNullAsync(ct);
            }

            await importer.WriteAsync(m.Value, NpgsqlDbType.Double, ct);
            await importer.WriteAsync(m.Time, NpgsqlDbType.TimestampTz, ct);
            await WriteMetadataAsync(importer, m.Metadata, ct);
        });

    private static readonly BulkTarget<SystemMetric> SystemMetricsTarget = new(
        "system_metrics",
        "run_id, metric_type, value, time, metadata",
        "INSERT INTO system_metrics (run_id, metric_type, value, time, metadata) " +
        "SELECT run_id, metric_type, value, time, metadata FROM system_metrics_stage ON CONFLICT DO NOTHING",
        rows =>
        [
            Array(rows, m => m.RunId, NpgsqlDbType.Uuid),
            Array(rows, m => m.Type, NpgsqlDbType.Text),
            Array(rows, m => m.Value, NpgsqlDbType.Double),
            Array(rows, m => m.Time, NpgsqlDbType.TimestampTz),
            Array(rows, m => m.Metadata, NpgsqlDbType.Jsonb),
        ],
        static async (importer, m, ct) =>
        {
            await importer.WriteAsync(m.RunId, NpgsqlDbType.Uuid, ct);
            await importer.WriteAsync(m.Type, NpgsqlDbType.Text, ct);
            await importer.WriteAsync(m.Value, NpgsqlDbType.Double, ct);
            await importer.WriteAsync(m.Time, NpgsqlDbType.TimestampTz, ct);
            await WriteMetadataAsync(importer, m.Metadata, ct);
        });

    public Task<IReadOnlyList<Metric>> WriteMetricsAsync(IReadOnlyList<Metric> metrics, CancellationToken cancellationToken) =>
        WriteAsync(MetricsTarget, metrics, async (insert, ct) =>
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

            return inserted.Count == metrics.Count
                ? metrics
                : (IReadOnlyList<Metric>)metrics.Where(m => inserted.Remove((m.RunId, m.Name, m.Step, m.Time))).ToList();
        }, cancellationToken);

    public Task<int> WriteSystemMetricsAsync(IReadOnlyList<SystemMetric> metrics, CancellationToken cancellationToken) =>
        WriteAsync(SystemMetricsTarget, metrics, (insert, ct) => insert.ExecuteNonQueryAsync(ct), cancellationToken);

    private async Task<TResult> WriteAsync<T, TResult>(
        BulkTarget<T> target,
        IReadOnlyList<T> rows,
        Func<NpgsqlCommand, CancellationToken, Task<TResult>> insert,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        await using (var stage = new NpgsqlCommand(target.CreateStageSql, connection, transaction))
        {
            await stage.ExecuteNonQueryAsync(cancellationToken);
        }

        if (_useCopy ?? await DetectCopyAsync(connection, transaction, cancellationToken))
        {
            await using var importer = await connection.BeginBinaryImportAsync(target.CopySql, cancellationToken);
            foreach (var row in rows)
            {
                await importer.StartRowAsync(cancellationToken);
                await target.WriteRow(importer, row, cancellationToken);
            }

            await importer.CompleteAsync(cancellationToken);
        }
        else
        {
            await using var fill = new NpgsqlCommand(target.UnnestSql, connection, transaction);
            fill.Parameters.AddRange(target.ToArrays(rows));
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

    // On the connection already held: such servers may allow a single connection. PGlite cannot
    // be probed with a COPY (it crashes), so it is recognised by its build.
    private async Task<bool> DetectCopyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version()", connection, transaction);
        var version = (string?)await command.ExecuteScalarAsync(cancellationToken) ?? string.Empty;
        var useCopy = !version.Contains("Emscripten", StringComparison.OrdinalIgnoreCase);
        _useCopy = useCopy;
        return useCopy;
    }

    // Typed arrays (long?[], string?[], …): Npgsql writes nulls inside them as SQL NULL.
    private static NpgsqlParameter Array<T, TValue>(IReadOnlyList<T> rows, Func<T, TValue> value, NpgsqlDbType type) =>
        new() { Value = rows.Select(value).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | type };

    private static Task WriteMetadataAsync(NpgsqlBinaryImporter importer, string? metadata, CancellationToken ct) =>
        metadata is null ? importer.WriteNullAsync(ct) : importer.WriteAsync(metadata, NpgsqlDbType.Jsonb, ct);

    /// <param name="insertSql">Moves the staged rows into the table, skipping stored identities (ON CONFLICT DO NOTHING).</param>
    /// <param name="toArrays">The rows as one array parameter per column, in <paramref name="columns"/> order (insert mode).</param>
    private sealed class BulkTarget<T>(
        string table,
        string columns,
        string insertSql,
        Func<IReadOnlyList<T>, NpgsqlParameter[]> toArrays,
        Func<NpgsqlBinaryImporter, T, CancellationToken, Task> writeRow)
    {
        private readonly string _stage = table + "_stage";

        // Temporary, so concurrent requests on other connections never see each other's rows;
        // ON COMMIT DELETE ROWS empties it for the connection's next batch.
        public string CreateStageSql =>
            $"CREATE TEMP TABLE IF NOT EXISTS {_stage} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS";

        public string CopySql => $"COPY {_stage} ({columns}) FROM STDIN (FORMAT BINARY)";

        public string InsertSql => insertSql;

        public string UnnestSql =>
            $"INSERT INTO {_stage} ({columns}) SELECT * FROM unnest({string.Join(", ", columns.Split(", ").Select((_, i) => $"${i + 1}"))})";

        public Func<IReadOnlyList<T>, NpgsqlParameter[]> ToArrays { get; } = toArrays;

        public Func<NpgsqlBinaryImporter, T, CancellationToken, Task> WriteRow { get; } = writeRow;
    }
}
