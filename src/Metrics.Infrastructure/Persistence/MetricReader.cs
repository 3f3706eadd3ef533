using System.Runtime.CompilerServices;
using System.Text;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Models;
using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence;

/// <summary>Reads through EF Core; entities are keyless, so nothing is ever tracked.</summary>
internal sealed class MetricReader(MetricsDbContext db) : IMetricReader
{
    public async Task<IReadOnlyList<Metric>> GetMetricsAsync(Guid runId, string? metricName, PointRange range, CancellationToken cancellationToken)
    {
        var query = db.Metrics.Where(m => m.RunId == runId);
        if (metricName is not null)
        {
            query = query.Where(m => m.Name == metricName);
        }

        if (range.StartTime is { } start)
        {
            query = query.Where(m => m.Time >= start);
        }

        if (range.EndTime is { } end)
        {
            query = query.Where(m => m.Time <= end);
        }

        if (range.MinStep is { } minStep)
        {
            query = query.Where(m => m.Step >= minStep);
        }

        if (range.MaxStep is { } maxStep)
        {
            query = query.Where(m => m.Step <= maxStep);
        }

        // Time first (the old service's order); step and name make the order total.
        query = range.Ascending
            ? query.OrderBy(m => m.Time).ThenBy(m => m.Step).ThenBy(m => m.Name)
            : query.OrderByDescending(m => m.Time).ThenByDescending(m => m.Step).ThenByDescending(m => m.Name);

        return await query.Take(range.Limit).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<Metric>> GetSeriesAsync(IReadOnlyList<SeriesKey> series, PointRange range, CancellationToken cancellationToken)
    {
        // One round trip: each series is read through its own index scan, up to the limit.
        var filters = new StringBuilder();
        var parameters = new List<NpgsqlParameter>
        {
            new("runs", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = series.Select(s => s.RunId).ToArray() },
            new("names", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = series.Select(s => s.MetricName).ToArray() },
            new("limit", NpgsqlDbType.Integer) { Value = range.Limit },
        };
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
        var sql = $"""
            SELECT m.run_id, m.metric_name, m.step, m.value, m.time, m.metadata
            FROM unnest(@runs, @names) WITH ORDINALITY AS s(run_id, metric_name, ord)
            CROSS JOIN LATERAL (
                SELECT x.* FROM metrics x
                WHERE x.run_id = s.run_id AND x.metric_name = s.metric_name{filters}
                ORDER BY x.time {direction}, x.step {direction}
                LIMIT @limit
            ) m
            ORDER BY s.ord, m.time {direction}, m.step {direction}
            """;

        return await db.Metrics.FromSqlRaw(sql, [.. parameters]).ToListAsync(cancellationToken);
    }

    public async Task<Metric?> GetLatestAsync(Guid runId, string metricName, CancellationToken cancellationToken)
    {
        // One summary row, whatever the series length.
        var summary = await db.Set<MetricSummary>()
            .Where(s => s.RunId == runId && s.MetricName == metricName)
            .Select(s => new { s.LatestStep, s.LatestValue, s.LatestTime, s.LatestMetadata })
            .FirstOrDefaultAsync(cancellationToken);
        return summary is null
            ? null
            : Metric.Create(runId, metricName, summary.LatestStep, summary.LatestValue, summary.LatestTime, summary.LatestMetadata);
    }

    public async Task<MetricStatistics?> GetStatisticsAsync(Guid runId, string metricName, CancellationToken cancellationToken)
    {
        // From the series summary: min/max/mean/M2 cover finite values only. The sample standard
        // deviation can exceed double's range for huge finite values; it is reported as Infinity then.
        var rows = await db.Database.SqlQuery<StatisticsRow>($"""
            SELECT count AS "Count", nan_count AS "NanCount", inf_count AS "InfinityCount",
                   min_value AS "Min", max_value AS "Max", mean::float8 AS "Average",
                   CASE
                       WHEN finite_count < 2 THEN NULL
                       WHEN sqrt(m2 / (finite_count - 1)) > 1.7976931348623157e308 THEN 'Infinity'::float8
                       ELSE sqrt(m2 / (finite_count - 1))::float8
                   END AS "StdDev",
                   first_time AS "FirstTime", last_time AS "LastTime"
            FROM metric_summaries
            WHERE run_id = {runId} AND metric_name = {metricName}
            """).ToListAsync(cancellationToken);

        return rows is [var row]
            ? new MetricStatistics(row.Count, row.NanCount, row.InfinityCount, row.Min, row.Max, row.Average, row.StdDev, row.FirstTime, row.LastTime)
            : null;
    }

    public async Task<DownsampledSeries> GetDownsampledAsync(Guid runId, string metricName, int points, long? minStep, long? maxStep, CancellationToken cancellationToken)
    {
        // A float8 mean fails with an overflow error once a sum passes 1.8e308; a series with such
        // values (known from its summary) is averaged in numeric instead, which is slower.
        var magnitude = await db.Set<MetricSummary>()
            .Where(s => s.RunId == runId && s.MetricName == metricName)
            .Select(s => (double?)Math.Max(Math.Abs(s.MinValue ?? 0), Math.Abs(s.MaxValue ?? 0)))
            .FirstOrDefaultAsync(cancellationToken);
        if (magnitude is null)
        {
            return new DownsampledSeries(0, [], null, null);
        }

        var average = magnitude < 1e300 ? "avg(value)" : "avg(value::numeric)";

        // Buckets of equal step width over [lo, hi]; each reports its finite min/max/avg, and the
        // value at its last step is fetched through the identity index (one probe per bucket).
        var sql = $$"""
            WITH bounds AS (
                SELECT coalesce({2}, min(step)) AS lo, coalesce({3}, max(step)) AS hi
                FROM metrics WHERE run_id = {0} AND metric_name = {1} AND step IS NOT NULL
            ), pts AS (
                SELECT m.step, m.value, m.value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite,
                       least(floor((m.step::float8 - b.lo::float8) * {4} / (b.hi::float8 - b.lo::float8 + 1)), {4} - 1) AS bucket
                FROM metrics m, bounds b
                WHERE m.run_id = {0} AND m.metric_name = {1} AND m.step BETWEEN b.lo AND b.hi
            ), agg AS (
                SELECT min(step) AS first_step, max(step) AS last_step, count(*) AS n,
                       min(value) FILTER (WHERE finite) AS min_v,
                       max(value) FILTER (WHERE finite) AS max_v,
                       ({{average}} FILTER (WHERE finite))::float8 AS avg_v,
                       count(*) FILTER (WHERE NOT finite) AS non_finite
                FROM pts
                GROUP BY bucket
            )
            SELECT a.first_step AS "FirstStep", a.last_step AS "LastStep", a.n AS "Count", a.min_v AS "Min", a.max_v AS "Max",
                   a.avg_v AS "Avg", l.value AS "Last", a.non_finite AS "NonFinite"
            FROM agg a
            CROSS JOIN LATERAL (
                SELECT value FROM metrics
                WHERE run_id = {0} AND metric_name = {1} AND step = a.last_step
                ORDER BY time DESC LIMIT 1
            ) l
            ORDER BY a.first_step
            """;
        var buckets = await db.Database
            .SqlQuery<StepBucket>(FormattableStringFactory.Create(sql, runId, metricName, minStep, maxStep, points))
            .ToListAsync(cancellationToken);

        var inRange = db.Metrics.Where(m => m.RunId == runId && m.Name == metricName && m.Step != null);
        if (minStep is { } lo)
        {
            inRange = inRange.Where(m => m.Step >= lo);
        }

        if (maxStep is { } hi)
        {
            inRange = inRange.Where(m => m.Step <= hi);
        }

        var first = await inRange.OrderBy(m => m.Step).ThenBy(m => m.Time).FirstOrDefaultAsync(cancellationToken);
        var last = await inRange.OrderByDescending(m => m.Step).ThenByDescending(m => m.Time).FirstOrDefaultAsync(cancellationToken);
        return new DownsampledSeries(buckets.Sum(b => b.Count), buckets, first, last);
    }

    public async Task<IReadOnlyList<SystemMetric>> GetSystemMetricsAsync(Guid runId, string? type, PointRange range, CancellationToken cancellationToken)
    {
        var query = db.SystemMetrics.Where(m => m.RunId == runId);
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

    private sealed class StatisticsRow
    {
        public long Count { get; init; }

        public long NanCount { get; init; }

        public long InfinityCount { get; init; }

        public double? Min { get; init; }

        public double? Max { get; init; }

        public double? Average { get; init; }

        public double? StdDev { get; init; }

        public DateTime FirstTime { get; init; }

        public DateTime LastTime { get; init; }
    }
}
