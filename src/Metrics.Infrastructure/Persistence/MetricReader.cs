using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Models;
using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;
using Microsoft.EntityFrameworkCore;

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

    public Task<Metric?> GetLatestAsync(Guid runId, string metricName, CancellationToken cancellationToken) =>
        // Raw SQL for NULLS LAST, which matches ux_metrics_identity and so reads one index entry.
        db.Metrics
            .FromSql($"""
                SELECT * FROM metrics
                WHERE run_id = {runId} AND metric_name = {metricName}
                ORDER BY step DESC NULLS LAST, time DESC
                LIMIT 1
                """)
            .FirstOrDefaultAsync(cancellationToken);

    public async Task<MetricStatistics?> GetStatisticsAsync(Guid runId, string metricName, CancellationToken cancellationToken)
    {
        // Aggregates over finite values only, in numeric: a float8 sum of large finite values
        // overflows (an error in PostgreSQL) although their mean is representable. The spread
        // can exceed double's range; it is reported as Infinity then.
        var rows = await db.Database.SqlQuery<StatisticsRow>($"""
            SELECT count AS "Count", nan_count AS "NanCount", inf_count AS "InfinityCount",
                   min AS "Min", max AS "Max", average AS "Average",
                   CASE WHEN std > 1.7976931348623157e308 THEN 'Infinity'::float8 ELSE std::float8 END AS "StdDev",
                   first_time AS "FirstTime", last_time AS "LastTime"
            FROM (
                SELECT count(*) AS count,
                       count(*) FILTER (WHERE value = 'NaN') AS nan_count,
                       count(*) FILTER (WHERE value IN ('Infinity', '-Infinity')) AS inf_count,
                       min(value) FILTER (WHERE finite) AS min,
                       max(value) FILTER (WHERE finite) AS max,
                       avg(value::numeric) FILTER (WHERE finite)::float8 AS average,
                       stddev_samp(value::numeric) FILTER (WHERE finite) AS std,
                       min(time) AS first_time,
                       max(time) AS last_time
                FROM (
                    SELECT value, time, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite
                    FROM metrics
                    WHERE run_id = {runId} AND metric_name = {metricName}
                ) points
            ) s
            """).ToListAsync(cancellationToken);

        var row = rows[0];
        return row.Count == 0
            ? null
            : new MetricStatistics(row.Count, row.NanCount, row.InfinityCount, row.Min, row.Max, row.Average, row.StdDev, row.FirstTime!.Value, row.LastTime!.Value);
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

        public DateTime? FirstTime { get; init; }

        public DateTime? LastTime { get; init; }
    }
}
