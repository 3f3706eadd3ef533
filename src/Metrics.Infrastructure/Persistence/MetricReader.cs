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
internal sealed class MetricReader(MetricsDbContext db, AggregateCatalog aggregates) : IMetricReader
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

    public async Task<IReadOnlyList<Metric>> GetSeriesAsync(IReadOnlyList<SeriesKey> series, PointRange range, CancellationToken cancellationToken) =>
        await SeriesQuery(series, range).ToListAsync(cancellationToken);

    public IAsyncEnumerable<Metric> StreamSeries(IReadOnlyList<SeriesKey> series, PointRange range) =>
        SeriesQuery(series, range).AsAsyncEnumerable();

    private IQueryable<Metric> SeriesQuery(IReadOnlyList<SeriesKey> series, PointRange range)
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

        return db.Metrics.FromSqlRaw(sql, [.. parameters]);
    }

    public async Task<Metric?> GetLatestAsync(Guid runId, string metricName, CancellationToken cancellationToken)
    {
        // One summary row, whatever the series length (in SQL, as stats: the LINQ form cost more
        // than the query itself).
        var rows = await db.Database.SqlQuery<LatestRow>($"""
            SELECT latest_step AS "Step", latest_value AS "Value", latest_time AS "Time", latest_metadata AS "Metadata"
            FROM metric_summaries
            WHERE run_id = {runId} AND metric_name = {metricName}
            """).ToListAsync(cancellationToken);
        return rows is [var row] ? Metric.Create(runId, metricName, row.Step, row.Value, row.Time, row.Metadata) : null;
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

        var bounds = await db.Database.SqlQuery<StepBounds>($"""
            SELECT greatest({minStep}, min(step)) AS "Lo", least({maxStep}, max(step)) AS "Hi"
            FROM metrics WHERE run_id = {runId} AND metric_name = {metricName} AND step IS NOT NULL
            """).SingleAsync(cancellationToken);
        if (bounds.Lo is not { } lo || bounds.Hi is not { } hi || hi < lo)
        {
            return new DownsampledSeries(0, [], null, null);
        }

        // The range is cut to the steps the series holds (greatest/least skip NULL): buckets never span
        // empty steps, and block arithmetic near long.MaxValue cannot overflow.
        // Long ranges read block rollups (plus the raw points of partly covered edge blocks); short
        // ranges read the raw points.
        var buckets = RollupLevel.Choose(lo, hi, points) is { } level
            ? await ReadRollupBucketsAsync(runId, metricName, lo, hi, level, magnitude.Value, cancellationToken)
            : await db.Database.SqlQuery<StepBucket>(FormattableStringFactory.Create(
                RawBucketsSql.Replace("{avg}", magnitude < 1e300 ? "avg(value)" : "avg(value::numeric)", StringComparison.Ordinal),
                runId, metricName, lo, hi, points)).ToListAsync(cancellationToken);

        // Explicit NULLS placement matches ux_metrics_identity (step DESC NULLS LAST, time DESC), so
        // both ends are one index probe rather than a sort of the range.
        // (ToList: the LIMIT 1 is in the SQL; FirstOrDefault would make EF warn on every call.)
        var first = (await db.Metrics.FromSql($"""
            SELECT * FROM metrics WHERE run_id = {runId} AND metric_name = {metricName} AND step BETWEEN {lo} AND {hi}
            ORDER BY step ASC NULLS FIRST, time ASC LIMIT 1
            """).ToListAsync(cancellationToken)).FirstOrDefault();
        var last = (await db.Metrics.FromSql($"""
            SELECT * FROM metrics WHERE run_id = {runId} AND metric_name = {metricName} AND step BETWEEN {lo} AND {hi}
            ORDER BY step DESC NULLS LAST, time DESC LIMIT 1
            """).ToListAsync(cancellationToken)).FirstOrDefault();
        return new DownsampledSeries(buckets.Sum(b => b.Count), buckets, first, last);
    }

    public async Task<IReadOnlyList<TimeBucket>> GetTimeBucketsAsync(
        Guid runId, string metricName, DateTime from, DateTime to, TimeSpan width, CancellationToken cancellationToken)
    {
        // TimescaleDB's continuous aggregates where the width is a whole number of their buckets
        // (from is a bucket edge of the width, so of theirs too); the raw points otherwise.
        var available = aggregates.Known ?? await DetectAggregatesAsync(cancellationToken);
        var source = width.Ticks % TimeSpan.TicksPerHour == 0 && available.Hours ? AggregateCatalog.Hours
            : width.Ticks % TimeSpan.TicksPerMinute == 0 && available.Minutes ? AggregateCatalog.Minutes
            : RawTimeSource;
        var sql = FormattableStringFactory.Create(TimeBucketsSql.Replace("{source}", source, StringComparison.Ordinal), runId, metricName, from, to, width.Ticks / TimeSpan.TicksPerMicrosecond);
        var rows = await db.Database.SqlQuery<TimeBucketRow>(sql).ToListAsync(cancellationToken);
        return rows.Select(r => new TimeBucket(
            from + (r.Index * width), r.Count, r.Min, r.Max, r.Avg, r.Last, r.LastTime, r.FirstStep, r.LastStep, r.Count - r.FiniteCount)).ToList();
    }

    private async Task<AggregateCatalog.Set> DetectAggregatesAsync(CancellationToken cancellationToken)
    {
        var found = await db.Database.SqlQuery<AggregateCatalog.Set>($"""
            SELECT to_regclass({AggregateCatalog.Minutes}) IS NOT NULL AS "Minutes", to_regclass({AggregateCatalog.Hours}) IS NOT NULL AS "Hours"
            """).SingleAsync(cancellationToken);
        aggregates.Remember(found);
        return found;
    }

    public async Task<IReadOnlyList<RunActivity>> ListRunsAsync(int limit, string? project, CancellationToken cancellationToken)
    {
        // From the series summaries (one row per run and metric), never from the points.
        var rows = await db.Database.SqlQuery<RunRow>($"""
            SELECT run_id AS "RunId", max(last_time) AS "LastActivity", sum(count)::bigint AS "PointCount",
                   array_agg(metric_name ORDER BY metric_name COLLATE "C") AS "MetricNames"
            FROM metric_summaries s
            WHERE {project}::text IS NULL OR EXISTS (SELECT 1 FROM run_projects p WHERE p.run_id = s.run_id AND p.project = {project})
            GROUP BY run_id
            ORDER BY 2 DESC, 1
            LIMIT {limit}
            """).ToListAsync(cancellationToken);
        return rows.Select(r => new RunActivity(r.RunId, r.LastActivity, r.PointCount, r.MetricNames)).ToList();
    }

    public async Task<IReadOnlyList<string>> GetMetricNamesAsync(Guid runId, CancellationToken cancellationToken) =>
        await db.Database.SqlQuery<string>($"""
            SELECT metric_name AS "Value" FROM metric_summaries WHERE run_id = {runId} ORDER BY metric_name COLLATE "C"
            """).ToListAsync(cancellationToken);

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

    // The raw points in the continuous aggregates' shape: each point is a one-point bucket.
    private const string RawTimeSource = """
        (SELECT run_id, metric_name, time AS bucket, 1 AS count, finite::int AS finite_count,
                CASE WHEN finite THEN value END AS min_value, CASE WHEN finite THEN value END AS max_value,
                CASE WHEN finite THEN value::numeric END AS finite_sum, step AS first_step, step AS last_step,
                time AS last_time, value AS last_value
         FROM (SELECT *, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite FROM metrics) p)
        """;

    // Buckets of {4} microseconds from {2} (a bucket edge) to {3}, numbered from 0, out of {source}: a
    // continuous aggregate or the raw points, which share one shape. The latest point of a bucket
    // gives "last" (among points at the same time, any of them).
    private const string TimeBucketsSql = """
        SELECT floor(extract(epoch FROM s.bucket - {2}) * 1000000 / {4})::bigint AS "Index",
               sum(s.count)::bigint AS "Count", sum(s.finite_count)::bigint AS "FiniteCount",
               min(s.min_value) AS "Min", max(s.max_value) AS "Max",
               (sum(s.finite_sum) / nullif(sum(s.finite_count), 0))::float8 AS "Avg",
               min(s.first_step) AS "FirstStep", max(s.last_step) AS "LastStep",
               max(s.last_time) AS "LastTime", (array_agg(s.last_value ORDER BY s.last_time DESC))[1] AS "Last"
        FROM {source} s
        WHERE s.run_id = {0} AND s.metric_name = {1} AND s.bucket >= {2} AND s.bucket < {3}
        GROUP BY 1
        ORDER BY 1
        """;

    // Buckets of equal step width over [lo, hi] ({2}, {3}); each reports its finite min/max/avg,
    // and the value at its last step is fetched through the identity index (one probe per bucket).
    private const string RawBucketsSql = """
        WITH pts AS (
            SELECT step, value, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite,
                   least(floor((step::float8 - {2}::float8) * {4} / ({3}::float8 - {2}::float8 + 1)), {4} - 1) AS bucket
            FROM metrics
            WHERE run_id = {0} AND metric_name = {1} AND step BETWEEN {2} AND {3}
        ), agg AS (
            SELECT min(step) AS first_step, max(step) AS last_step, count(*) AS n,
                   min(value) FILTER (WHERE finite) AS min_v,
                   max(value) FILTER (WHERE finite) AS max_v,
                   ({avg} FILTER (WHERE finite))::float8 AS avg_v,
                   count(*) FILTER (WHERE NOT finite) AS non_finite
            FROM pts
            GROUP BY bucket
        )
        SELECT a.first_step AS "FirstStep", a.last_step AS "LastStep", a.n AS "Count", a.min_v AS "Min", a.max_v AS "Max",
               a.avg_v AS "Avg", l.value AS "Last", a.non_finite AS "NonFinite", l.time AS "LastTime"
        FROM agg a
        CROSS JOIN LATERAL (
            SELECT value, time FROM metrics
            WHERE run_id = {0} AND metric_name = {1} AND step = a.last_step
            ORDER BY time DESC LIMIT 1
        ) l
        ORDER BY a.first_step
        """;

    // The parts of [lo, hi] ({2}, {3}) in any order: blocks {4}..{5} lie wholly inside it and come
    // from the level's rollup table, the points of the partly covered edge blocks ({2}..{6} and {7}..{3}) from
    // metrics, each as a one-point part. A part's mean is finite; {mean} is float8 arithmetic unless
    // the series holds values so large that only numeric can sum them.
    private const string RollupPartsSql = """
        SELECT r.first_step AS "FirstStep", r.last_step AS "LastStep", r.count AS "Count", r.finite_count AS "FiniteCount",
               r.min_value AS "Min", r.max_value AS "Max", {mean} AS "Mean", r.last_value AS "LastValue", r.last_time AS "LastTime"
        FROM {table} r
        WHERE r.run_id = {0} AND r.metric_name = {1} AND r.block BETWEEN {4} AND {5}
        UNION ALL
        SELECT m.step, m.step, 1, CASE WHEN m.finite THEN 1 ELSE 0 END, CASE WHEN m.finite THEN m.value END,
               CASE WHEN m.finite THEN m.value END, CASE WHEN m.finite THEN m.value END, m.value, m.time
        FROM (SELECT step, value, time, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite FROM metrics
              WHERE run_id = {0} AND metric_name = {1} AND (step BETWEEN {2} AND {6} OR step BETWEEN {7} AND {3})) m
        """;

    // Bucketing happens here rather than in SQL: an ordered "last value" aggregate and the sort by
    // bucket cost PostgreSQL about as much again as reading the rows. Buckets are whole blocks, so
    // each part (a block, or an edge point) falls in exactly one; min, max, counts and the first
    // and last points stay exact.
    private async Task<List<StepBucket>> ReadRollupBucketsAsync(
        Guid runId, string metricName, long lo, long hi, RollupLevel level, double magnitude, CancellationToken cancellationToken)
    {
        var firstFull = (lo + level.BlockSteps - 1) >> level.Shift;
        var lastFull = ((hi + 1) >> level.Shift) - 1;
        var mean = magnitude < 1e300 ? "r.finite_sum::float8 / nullif(r.finite_count, 0)" : "(r.finite_sum / nullif(r.finite_count, 0))::float8";
        var sql = FormattableStringFactory.Create(
            RollupPartsSql.Replace("{mean}", mean, StringComparison.Ordinal).Replace("{table}", level.Table, StringComparison.Ordinal),
            runId, metricName, lo, hi, firstFull, lastFull, (firstFull << level.Shift) - 1, (lastFull + 1) << level.Shift);

        var acc = new SortedDictionary<long, BucketAccumulator>();
        await foreach (var part in db.Database.SqlQuery<RollupPart>(sql).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            var index = (part.FirstStep - level.Origin) / level.BucketSteps;
            if (!acc.TryGetValue(index, out var bucket))
            {
                acc[index] = bucket = new BucketAccumulator();
            }

            bucket.Add(part);
        }

        return acc.Values.Select(a => a.ToBucket()).ToList();
    }

    /// <summary>
    /// A rollup level for a downsample: buckets of <see cref="BucketSteps"/> steps (a whole number
    /// of blocks) counted from <see cref="Origin"/>, the block edge at or below the range's start.
    /// </summary>
    private sealed record RollupLevel(int Shift, string Table, long Origin, long BucketSteps)
    {
        public long BlockSteps => 1L << Shift;

        /// <summary>
        /// The coarsest level whose block-aligned buckets still number at least 2/3 of those asked
        /// for (1024-step blocks: a 1,000,000-point series in 500 buckets reads ~1,000 rows); null
        /// when a bucket would span fewer than two 64-step blocks, where raw points are cheaper.
        /// </summary>
        public static RollupLevel? Choose(long lo, long hi, int points)
        {
            foreach (var (shift, table) in new[] { (MetricCoarseRollup.BlockShift, MetricCoarseRollup.Table), (MetricRollup.BlockShift, MetricRollup.Table) })
            {
                var block = 1L << shift;
                var origin = lo >> shift << shift;
                var perBucket = ((double)hi - origin + 1) / points;
                var width = (long)Math.Ceiling(perBucket / block) * block;
                if ((double)hi - lo + 1 >= 2.0 * block && width >= 2 * MetricRollup.BlockSteps && width <= perBucket * 1.5)
                {
                    return new RollupLevel(shift, table, origin, width);
                }
            }

            return null;
        }
    }

    private sealed class RollupPart
    {
        public long FirstStep { get; init; }

        public long LastStep { get; init; }

        public long Count { get; init; }

        public long FiniteCount { get; init; }

        public double? Min { get; init; }

        public double? Max { get; init; }

        public double? Mean { get; init; }

        public double LastValue { get; init; }

        public DateTime LastTime { get; init; }
    }

    private sealed class BucketAccumulator
    {
        private long firstStep = long.MaxValue;
        private long lastStep = long.MinValue;
        private DateTime lastTime;
        private double lastValue;
        private long count;
        private long finiteCount;
        private double? min;
        private double? max;
        private double mean;

        public void Add(RollupPart part)
        {
            firstStep = Math.Min(firstStep, part.FirstStep);
            if (part.LastStep > lastStep || (part.LastStep == lastStep && part.LastTime > lastTime))
            {
                (lastStep, lastTime, lastValue) = (part.LastStep, part.LastTime, part.LastValue);
            }

            count += part.Count;
            if (part.FiniteCount > 0 && part.Mean is { } partMean)
            {
                finiteCount += part.FiniteCount;
                // A weighted running mean: never leaves double's range, unlike a running sum.
                var weight = (double)part.FiniteCount / finiteCount;
                mean = (mean * (1 - weight)) + (partMean * weight);
                min = min is { } m ? Math.Min(m, part.Min!.Value) : part.Min;
                max = max is { } x ? Math.Max(x, part.Max!.Value) : part.Max;
            }
        }

        public StepBucket ToBucket() =>
            new(firstStep, lastStep, count, min, max, finiteCount > 0 ? mean : null, lastValue, count - finiteCount, lastTime);
    }

    private sealed class RunRow
    {
        public Guid RunId { get; init; }

        public DateTime LastActivity { get; init; }

        public long PointCount { get; init; }

        public string[] MetricNames { get; init; } = [];
    }

    private sealed record StepBounds(long? Lo, long? Hi);

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

    private sealed class LatestRow
    {
        public long? Step { get; init; }

        public double Value { get; init; }

        public DateTime Time { get; init; }

        public string? Metadata { get; init; }
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
