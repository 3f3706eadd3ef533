using System.Text;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Models;
using Metrics.Application.Metrics;
using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;
using Metrics.Infrastructure.Persistence.Replication;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// Reads through EF Core (entities are keyless, so nothing is ever tracked), except the one-row
/// lookups by series key, which go straight to Npgsql: there EF's query pipeline cost more than
/// PostgreSQL's 30 µs of work (ADR 0021). Points are read from
/// <c>points</c> by series id, through its two indexes: (series_id, time) for history, the
/// identity (series_id, step, time) for step ranges. Summaries, rollups and run lists never touch points.
/// </summary>
internal sealed partial class MetricReader(ReadRoute route, AggregateCatalog aggregates) : IMetricReader
{
    // The primary's, or the standby's when it has replayed what this read must see.
    private MetricsDbContext Db => route.Db;

    private NpgsqlDataSource Source => route.DataSource;

    public async Task<IReadOnlyList<Metric>> GetMetricsAsync(Guid runId, string? metricName, PointRange range, CancellationToken cancellationToken)
    {
        // Each series of the run (or the one named) is read up to the limit through its own index
        // scan; the merged top of those is the run's top. Time first (the old service's order);
        // step and name make the order total.
        var (page, parameters, direction) = SeriesPage(range);
        parameters.Add(new("run", NpgsqlDbType.Uuid) { Value = runId });
        parameters.Add(new("name", NpgsqlDbType.Text) { Value = (object?)metricName ?? DBNull.Value });
        var sql = $"""
            SELECT s.run_id, s.metric_name, p.step, p.value, p.time, p.metadata
            FROM series s
            {page}
            WHERE s.run_id = @run AND (@name::text IS NULL OR s.metric_name = @name)
            ORDER BY p.time {direction}, p.step {direction}, s.metric_name {direction}
            LIMIT @limit
            """;
        return await Db.Metrics.FromSqlRaw(sql, [.. parameters]).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<Metric>> GetSeriesAsync(IReadOnlyList<SeriesKey> series, PointRange range, CancellationToken cancellationToken) =>
        await SeriesQuery(series, range).ToListAsync(cancellationToken);

    public IAsyncEnumerable<Metric> StreamSeries(IReadOnlyList<SeriesKey> series, PointRange range) =>
        SeriesQuery(series, range).AsAsyncEnumerable();

    private IQueryable<Metric> SeriesQuery(IReadOnlyList<SeriesKey> series, PointRange range)
    {
        // One round trip: each series is read through its own index scan, up to the limit.
        var (page, parameters, direction) = SeriesPage(range);
        parameters.Add(new("runs", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = series.Select(s => s.RunId).ToArray() });
        parameters.Add(new("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = series.Select(s => s.MetricName).ToArray() });
        var sql = $"""
            SELECT s.run_id, s.metric_name, p.step, p.value, p.time, p.metadata
            FROM unnest(@runs, @names) WITH ORDINALITY AS k(run_id, metric_name, ord)
            JOIN series s USING (run_id, metric_name)
            {page}
            ORDER BY k.ord, p.time {direction}, p.step {direction}
            """;
        return Db.Metrics.FromSqlRaw(sql, [.. parameters]);
    }

    /// <summary>
    /// One page of series <c>s</c>'s points in the range (a lateral join <c>p</c>, through the
    /// series' (series_id, time) index), its parameters, and the sort direction for the outer query.
    /// </summary>
    private static (string Sql, List<NpgsqlParameter> Parameters, string Direction) SeriesPage(PointRange range)
    {
        var filters = new StringBuilder();
        var parameters = new List<NpgsqlParameter> { new("limit", NpgsqlDbType.Integer) { Value = range.Limit } };
        void Filter(string clause, string name, object? value, NpgsqlDbType type)
        {
            if (value is not null)
            {
                filters.Append(" AND ").Append(clause);
                parameters.Add(new NpgsqlParameter(name, type) { Value = value });
            }
        }

        Filter("x.time >= @start", "start", range.StartTime, NpgsqlDbType.TimestampTz);
        Filter("x.time <= @end", "end", range.EndTime, NpgsqlDbType.TimestampTz);
        Filter("x.step >= @min_step", "min_step", range.MinStep, NpgsqlDbType.Bigint);
        Filter("x.step <= @max_step", "max_step", range.MaxStep, NpgsqlDbType.Bigint);
        var direction = range.Ascending ? "ASC" : "DESC";
        var page = $"""
            CROSS JOIN LATERAL (
                SELECT x.step, x.value, x.time, x.metadata FROM points x
                WHERE x.series_id = s.series_id{filters}
                ORDER BY x.time {direction}, x.step {direction}
                LIMIT @limit
            ) p
            """;
        return (page, parameters, direction);
    }

    /// <summary>The series' id, or null when it has never been written.</summary>
    private async Task<long?> SeriesIdAsync(Guid runId, string metricName, CancellationToken cancellationToken)
    {
        await using var command = SeriesKeyCommand("SELECT series_id FROM series WHERE run_id = $1 AND metric_name = $2", runId, metricName);
        return await command.ExecuteScalarAsync(cancellationToken) is long id ? id : null;
    }

    public async Task<Metric?> GetLatestAsync(Guid runId, string metricName, CancellationToken cancellationToken)
    {
        // One summary row, whatever the series length.
        await using var command = SeriesKeyCommand("""
            SELECT latest_step, latest_value, latest_time, latest_metadata
            FROM metric_summaries
            WHERE run_id = $1 AND metric_name = $2
            """, runId, metricName);
        await using var row = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken);
        return await row.ReadAsync(cancellationToken)
            ? Metric.Create(runId, metricName, row.GetFieldValue<long?>(0), row.GetDouble(1), row.GetDateTime(2), row.IsDBNull(3) ? null : row.GetString(3))
            : null;
    }

    public async Task<MetricStatsDto?> GetStatisticsAsync(Guid runId, string metricName, CancellationToken cancellationToken)
    {
        // From the series summary: min/max/mean/M2 cover finite values only. The sample standard
        // deviation can exceed double's range for huge finite values; it is reported as Infinity then.
        await using var command = SeriesKeyCommand("""
            SELECT count, min_value, max_value, mean::float8 AS avg_value,
                   CASE
                       WHEN finite_count < 2 THEN NULL
                       WHEN sqrt(m2 / (finite_count - 1)) > 1.7976931348623157e308 THEN 'Infinity'::float8
                       ELSE sqrt(m2 / (finite_count - 1))::float8
                   END AS std_dev,
                   first_time, last_time, nan_count, inf_count
            FROM metric_summaries
            WHERE run_id = $1 AND metric_name = $2
            """, runId, metricName);
        await using var row = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, cancellationToken);
        return await row.ReadAsync(cancellationToken)
            ? new MetricStatsDto(metricName, row.GetInt64(0), row.GetFieldValue<double?>(1), row.GetFieldValue<double?>(2),
                row.GetFieldValue<double?>(3), row.GetFieldValue<double?>(4), row.GetDateTime(5), row.GetDateTime(6), row.GetInt64(7), row.GetInt64(8))
            : null;
    }

    private NpgsqlCommand SeriesKeyCommand(string sql, Guid runId, string metricName)
    {
        var command = Source.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runId });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = metricName });
        return command;
    }

    public async Task<IReadOnlyList<string>> GetMetricNamesAsync(Guid runId, CancellationToken cancellationToken) =>
        await Db.Database.SqlQuery<string>($"""
            SELECT metric_name AS "Value" FROM metric_summaries WHERE run_id = {runId} ORDER BY metric_name COLLATE "C"
            """).ToListAsync(cancellationToken);

    public async Task<IReadOnlyList<SystemMetric>> GetSystemMetricsAsync(Guid runId, string? type, PointRange range, CancellationToken cancellationToken)
    {
        var query = Db.SystemMetrics.Where(m => m.RunId == runId);
        if (type is not null)
        {
            query = query.Where(m => m.Type == type);
        }

        if (range.StartTime is { } start)
        {
            query = query.Where(m => m.Time >= start);
        }

        if (range.EndTime is { } end)
        {
            query = query.Where(m => m.Time <= end);
        }

        query = range.Ascending
            ? query.OrderBy(m => m.Time).ThenBy(m => m.Type)
            : query.OrderByDescending(m => m.Time).ThenByDescending(m => m.Type);

        return await query.Take(range.Limit).ToListAsync(cancellationToken);
    }
}
