using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Models;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// Runs as described (<c>runs</c>) joined with their activity, which comes from the series
/// summaries (one row per run and metric), never from the points. A run is listed when it was
/// described, written to, or both.
/// </summary>
internal sealed class RunCatalog(NpgsqlDataSource dataSource, TimeProvider clock) : IRunCatalog
{
    // A null parameter leaves the stored field as it is; status and ended_at move together.
    private const string DescribeSql = """
        INSERT INTO runs AS r (run_id, name, tags, config, status, started_at, ended_at, created_at, updated_at)
        VALUES ($1, $2, coalesce($3, '{}'), $4::json, coalesce($5, 'running'), $6,
                coalesce($7, CASE WHEN coalesce($5, 'running') = 'running' THEN NULL ELSE $8 END), $8, $8)
        ON CONFLICT (run_id) DO UPDATE SET
            name = coalesce($2, r.name),
            tags = coalesce($3, r.tags),
            config = coalesce($4::json, r.config),
            status = coalesce($5, r.status),
            started_at = coalesce($6, r.started_at),
            ended_at = CASE
                WHEN $7 IS NOT NULL THEN $7
                WHEN $5 IS NULL THEN r.ended_at
                WHEN $5 = 'running' THEN NULL
                ELSE coalesce(r.ended_at, $8)
            END,
            updated_at = $8
        """;

    public async Task DescribeAsync(RunDescription description, IReadOnlyList<RunClaim> claims, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        await RunProjects.ClaimAsync(connection, transaction, claims, now, cancellationToken);
        await using var command = new NpgsqlCommand(DescribeSql, connection, transaction)
        {
            Parameters =
            {
                new() { Value = description.RunId, NpgsqlDbType = NpgsqlDbType.Uuid },
                Nullable(description.Name, NpgsqlDbType.Text),
                Nullable(description.Tags?.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text),
                Nullable(description.Config, NpgsqlDbType.Text),
                Nullable(description.Status, NpgsqlDbType.Text),
                Nullable(description.StartedAt, NpgsqlDbType.TimestampTz),
                Nullable(description.EndedAt, NpgsqlDbType.TimestampTz),
                new() { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<RunRecord?> GetAsync(Guid runId, CancellationToken cancellationToken)
    {
        // A described run's start defaults to its first point, or else to when it was described.
        await using var command = dataSource.CreateCommand("""
            SELECT $1, r.name, coalesce(r.tags, '{}'), r.config::text, r.status, coalesce(r.started_at, d.first_time, r.created_at),
                   r.ended_at, coalesce(d.last_time, r.updated_at), coalesce(d.point_count, 0), coalesce(d.metric_names, '{}')
            FROM (
                SELECT count(*) AS series, min(first_time) AS first_time, max(last_time) AS last_time, sum(count)::bigint AS point_count,
                       array_agg(metric_name ORDER BY metric_name COLLATE "C") AS metric_names
                FROM metric_summaries WHERE run_id = $1
            ) d
            LEFT JOIN runs r ON r.run_id = $1
            WHERE d.series > 0 OR r.run_id IS NOT NULL
            """);
        command.Parameters.Add(new() { Value = runId, NpgsqlDbType = NpgsqlDbType.Uuid });
        var runs = await ReadAsync(command, cancellationToken);
        return runs.Count == 0 ? null : runs[0];
    }

    public async Task<IReadOnlyList<RunRecord>> ListAsync(RunFilter filter, CancellationToken cancellationToken)
    {
        // The page first, from each run's latest time alone; then the details of its runs only
        // (their start as in GetAsync). Still one pass over every summary row: ~0.3 s at 20,000
        // runs × 20 metrics, a quarter of aggregating everything for every run (ADR 0024).
        // Search: a name containing the text (any case) or an id starting with it.
        await using var command = dataSource.CreateCommand("""
            WITH activity AS (
                SELECT run_id, max(last_time) AS last_time FROM metric_summaries GROUP BY run_id
            ), page AS (
                SELECT coalesce(a.run_id, r.run_id) AS run_id, coalesce(a.last_time, r.updated_at) AS last_activity
                FROM activity a FULL JOIN runs r ON r.run_id = a.run_id
                WHERE ($1::text IS NULL OR EXISTS (SELECT 1 FROM run_projects p WHERE p.run_id = coalesce(a.run_id, r.run_id) AND p.project = $1))
                  AND ($2::text IS NULL OR strpos(lower(r.name), lower($2)) > 0 OR starts_with(coalesce(a.run_id, r.run_id)::text, lower($2)))
                  AND coalesce(r.tags, '{}') @> $3
                  AND ($4::text IS NULL OR r.status = $4)
                  AND ($5::timestamptz IS NULL OR coalesce(a.last_time, r.updated_at) < $5
                       OR (coalesce(a.last_time, r.updated_at) = $5 AND coalesce(a.run_id, r.run_id) > $6))
                ORDER BY 2 DESC, 1
                LIMIT $7
            )
            SELECT p.run_id, r.name, coalesce(r.tags, '{}'), r.config::text, r.status, coalesce(r.started_at, d.first_time, r.created_at),
                   r.ended_at, p.last_activity, coalesce(d.point_count, 0), coalesce(d.metric_names, '{}')
            FROM page p
            LEFT JOIN runs r ON r.run_id = p.run_id
            LEFT JOIN LATERAL (
                SELECT min(first_time) AS first_time, sum(count)::bigint AS point_count,
                       array_agg(metric_name ORDER BY metric_name COLLATE "C") AS metric_names
                FROM metric_summaries s WHERE s.run_id = p.run_id
            ) d ON true
            ORDER BY p.last_activity DESC, p.run_id
            """);
        command.Parameters.Add(Nullable(filter.Project, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(filter.Search, NpgsqlDbType.Text));
        command.Parameters.Add(new() { Value = filter.Tags.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(Nullable(filter.Status, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(filter.After?.LastActivity, NpgsqlDbType.TimestampTz));
        command.Parameters.Add(new() { Value = filter.After?.RunId ?? Guid.Empty, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new() { Value = filter.Limit, NpgsqlDbType = NpgsqlDbType.Integer });
        return await ReadAsync(command, cancellationToken);
    }

    private static async Task<List<RunRecord>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var runs = new List<RunRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(new RunRecord(
                reader.GetGuid(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetFieldValue<string[]>(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetDateTime(5),
                reader.IsDBNull(6) ? null : reader.GetDateTime(6),
                reader.GetDateTime(7),
                reader.GetInt64(8),
                reader.GetFieldValue<string[]>(9)));
        }

        return runs;
    }

    private static NpgsqlParameter Nullable<T>(T? value, NpgsqlDbType type) =>
        new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = type };
}
