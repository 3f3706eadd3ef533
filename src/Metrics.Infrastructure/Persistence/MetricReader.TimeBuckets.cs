using Metrics.Application.Common.Models;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence;

/// <summary>Buckets by time: from TimescaleDB's continuous aggregates where they fit, else from the raw points.</summary>
internal sealed partial class MetricReader
{
    // The raw points in the continuous aggregates' shape: each point is a one-point bucket.
    private const string RawTimeSource = """
        (SELECT series_id, time AS bucket, 1 AS count, finite::int AS finite_count,
                CASE WHEN finite THEN value END AS min_value, CASE WHEN finite THEN value END AS max_value,
                CASE WHEN finite THEN value::numeric END AS finite_sum, step AS first_step, step AS last_step,
                time AS last_time, value AS last_value
         FROM (SELECT *, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite FROM points) p)
        """;

    public async Task<IReadOnlyList<TimeBucket>> GetTimeBucketsAsync(
        Guid runId, string metricName, DateTime from, DateTime to, TimeSpan width, CancellationToken cancellationToken)
    {
        if (await SeriesIdAsync(runId, metricName, cancellationToken) is not { } series)
        {
            return [];
        }

        // TimescaleDB's continuous aggregates where the width is a whole number of their buckets
        // (from is a bucket edge of the width, so of theirs too); the raw points otherwise.
        var available = aggregates.Known ?? await DetectAggregatesAsync(cancellationToken);
        var source = width.Ticks % TimeSpan.TicksPerHour == 0 && available.Hours ? AggregateCatalog.Hours
            : width.Ticks % TimeSpan.TicksPerMinute == 0 && available.Minutes ? AggregateCatalog.Minutes
            : RawTimeSource;

        // Buckets of @width microseconds from @from (a bucket edge) to @to, numbered from 0, out of
        // the source: a continuous aggregate or the raw points, which share one shape. The latest
        // point of a bucket gives "last" (among points at the same time, any of them).
        var sql = $"""
            SELECT floor(extract(epoch FROM s.bucket - @from) * 1000000 / @width)::bigint AS "Index",
                   sum(s.count)::bigint AS "Count", sum(s.finite_count)::bigint AS "FiniteCount",
                   min(s.min_value) AS "Min", max(s.max_value) AS "Max",
                   (sum(s.finite_sum) / nullif(sum(s.finite_count), 0))::float8 AS "Avg",
                   min(s.first_step) AS "FirstStep", max(s.last_step) AS "LastStep",
                   max(s.last_time) AS "LastTime", (array_agg(s.last_value ORDER BY s.last_time DESC))[1] AS "Last"
            FROM {source} s
            WHERE s.series_id = @series AND s.bucket >= @from AND s.bucket < @to
            GROUP BY 1
            ORDER BY 1
            """;
        var rows = await Db.Database.SqlQueryRaw<TimeBucketRow>(sql,
            new NpgsqlParameter("series", NpgsqlDbType.Bigint) { Value = series },
            new NpgsqlParameter("from", NpgsqlDbType.TimestampTz) { Value = from },
            new NpgsqlParameter("to", NpgsqlDbType.TimestampTz) { Value = to },
            new NpgsqlParameter("width", NpgsqlDbType.Bigint) { Value = width.Ticks / TimeSpan.TicksPerMicrosecond }).ToListAsync(cancellationToken);
        return rows.Select(r => new TimeBucket(
            from + (r.Index * width), r.Count, r.Min, r.Max, r.Avg, r.Last, r.LastTime, r.FirstStep, r.LastStep, r.Count - r.FiniteCount)).ToList();
    }

    private async Task<AggregateCatalog.Set> DetectAggregatesAsync(CancellationToken cancellationToken)
    {
        var found = await Db.Database.SqlQuery<AggregateCatalog.Set>($"""
            SELECT to_regclass({AggregateCatalog.Minutes}) IS NOT NULL AS "Minutes", to_regclass({AggregateCatalog.Hours}) IS NOT NULL AS "Hours"
            """).SingleAsync(cancellationToken);
        aggregates.Remember(found);
        return found;
    }

    private sealed class TimeBucketRow
    {
        public long Index { get; init; }

        public long Count { get; init; }

        public long FiniteCount { get; init; }

        public double? Min { get; init; }

        public double? Max { get; init; }

        public double? Avg { get; init; }

        public long? FirstStep { get; init; }

        public long? LastStep { get; init; }

        public DateTime LastTime { get; init; }

        public double Last { get; init; }
    }

}
