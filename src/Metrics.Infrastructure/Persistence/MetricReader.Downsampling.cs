using Metrics.Application.Common.Models;
using Microsoft.EntityFrameworkCore;

namespace Metrics.Infrastructure.Persistence;

/// <summary>Downsampling by step: block rollups for long ranges, raw points (through the identity index) for short ones.</summary>
internal sealed partial class MetricReader
{
    public async Task<DownsampledSeries> GetDownsampledAsync(Guid runId, string metricName, int points, long? minStep, long? maxStep, CancellationToken cancellationToken)
    {
        // A float8 mean fails with an overflow error once a sum passes 1.8e308; a series with such
        // values (known from its summary) is averaged in numeric instead, which is slower.
        var magnitude = await Db.Set<MetricSummary>()
            .Where(s => s.RunId == runId && s.MetricName == metricName)
            .Select(s => (double?)Math.Max(Math.Abs(s.MinValue ?? 0), Math.Abs(s.MaxValue ?? 0)))
            .FirstOrDefaultAsync(cancellationToken);
        if (magnitude is null || await SeriesIdAsync(runId, metricName, cancellationToken) is not { } series)
        {
            return new DownsampledSeries(0, [], null, null);
        }

        var huge = magnitude >= 1e300;
        var bounds = await Db.Database.SqlQuery<StepBounds>($"""
            SELECT greatest({minStep}, min(step)) AS "Lo", least({maxStep}, max(step)) AS "Hi"
            FROM points WHERE series_id = {series} AND step IS NOT NULL
            """).SingleAsync(cancellationToken);
        if (bounds.Lo is not { } lo || bounds.Hi is not { } hi || hi < lo)
        {
            return new DownsampledSeries(0, [], null, null);
        }

        // The range is cut to the steps the series holds (greatest/least skip NULL): buckets never span
        // empty steps, and block arithmetic near long.MaxValue cannot overflow.
        // Long ranges read block rollups (plus the raw points of partly covered edge blocks); short
        // ranges read the raw points: buckets of equal step width, each with its finite min/max/avg,
        // the value at its last step fetched through the identity index (one probe per bucket).
        var buckets = RollupLevel.Choose(lo, hi, points) is { } level
            ? await ReadRollupBucketsAsync(runId, metricName, series, lo, hi, level, huge, cancellationToken)
            : await Db.Database.SqlQuery<StepBucket>($"""
                WITH pts AS (
                    SELECT step, value, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite,
                           least(floor((step::float8 - {lo}::float8) * {points} / ({hi}::float8 - {lo}::float8 + 1)), {points} - 1) AS bucket
                    FROM points
                    WHERE series_id = {series} AND step BETWEEN {lo} AND {hi}
                ), agg AS (
                    SELECT min(step) AS first_step, max(step) AS last_step, count(*) AS n,
                           min(value) FILTER (WHERE finite) AS min_v,
                           max(value) FILTER (WHERE finite) AS max_v,
                           coalesce(avg(value) FILTER (WHERE finite AND NOT {huge}),
                                    (avg(value::numeric) FILTER (WHERE finite AND {huge}))::float8) AS avg_v,
                           count(*) FILTER (WHERE NOT finite) AS non_finite
                    FROM pts
                    GROUP BY bucket
                )
                SELECT a.first_step AS "FirstStep", a.last_step AS "LastStep", a.n AS "Count", a.min_v AS "Min", a.max_v AS "Max",
                       a.avg_v AS "Avg", l.value AS "Last", a.non_finite AS "NonFinite", l.time AS "LastTime"
                FROM agg a
                CROSS JOIN LATERAL (
                    SELECT value, time FROM points
                    WHERE series_id = {series} AND step = a.last_step
                    ORDER BY time DESC LIMIT 1
                ) l
                ORDER BY a.first_step
                """).ToListAsync(cancellationToken);

        // Both ends are one probe of the identity index each, not a sort of the range.
        // (ToList: the LIMIT 1 is in the SQL; FirstOrDefault would make EF warn on every call.)
        var first = (await Db.Metrics.FromSql($"""
            SELECT {runId} AS run_id, {metricName} AS metric_name, step, value, time, metadata
            FROM points WHERE series_id = {series} AND step BETWEEN {lo} AND {hi}
            ORDER BY step, time LIMIT 1
            """).ToListAsync(cancellationToken)).FirstOrDefault();
        var last = (await Db.Metrics.FromSql($"""
            SELECT {runId} AS run_id, {metricName} AS metric_name, step, value, time, metadata
            FROM points WHERE series_id = {series} AND step BETWEEN {lo} AND {hi}
            ORDER BY step DESC, time DESC LIMIT 1
            """).ToListAsync(cancellationToken)).FirstOrDefault();
        return new DownsampledSeries(buckets.Sum(b => b.Count), buckets, first, last);
    }

    // Bucketing happens here rather than in SQL: an ordered "last value" aggregate and the sort by
    // bucket cost PostgreSQL about as much again as reading the rows. Buckets are whole blocks, so
    // each part (a block, or an edge point) falls in exactly one; min, max, counts and the first
    // and last points stay exact.
    private async Task<List<StepBucket>> ReadRollupBucketsAsync(
        Guid runId, string metricName, long series, long lo, long hi, RollupLevel level, bool huge, CancellationToken cancellationToken)
    {
        var firstFull = (lo + level.BlockSteps - 1) >> level.Shift;
        var lastFull = ((hi + 1) >> level.Shift) - 1;
        var (leftEdge, rightEdge) = ((firstFull << level.Shift) - 1, (lastFull + 1) << level.Shift);
        var coarse = level.Shift == MetricCoarseRollup.BlockShift;

        // The parts of [lo, hi] in any order: blocks firstFull..lastFull lie wholly inside it and
        // come from the level's rollup table (the other table's branch is skipped by its one-time
        // filter), the points of the partly covered edge blocks from points, each as a one-point
        // part. A part's mean is finite; it is float8 arithmetic unless the series holds values so
        // large that only numeric can divide their sums.
        var parts = Db.Database.SqlQuery<RollupPart>($"""
            SELECT r.first_step AS "FirstStep", r.last_step AS "LastStep", r.count AS "Count", r.finite_count AS "FiniteCount",
                   r.min_value AS "Min", r.max_value AS "Max",
                   CASE WHEN {huge} THEN (r.finite_sum / nullif(r.finite_count, 0))::float8
                        ELSE r.finite_sum::float8 / nullif(r.finite_count, 0) END AS "Mean",
                   r.last_value AS "LastValue", r.last_time AS "LastTime"
            FROM (
                SELECT first_step, last_step, count, finite_count, min_value, max_value, finite_sum, last_value, last_time FROM metric_rollups_coarse WHERE {coarse} AND run_id = {runId} AND metric_name = {metricName} AND block BETWEEN {firstFull} AND {lastFull}
                UNION ALL
                SELECT first_step, last_step, count, finite_count, min_value, max_value, finite_sum, last_value, last_time FROM metric_rollups WHERE NOT {coarse} AND run_id = {runId} AND metric_name = {metricName} AND block BETWEEN {firstFull} AND {lastFull}
            ) r
            UNION ALL
            SELECT m.step, m.step, 1, CASE WHEN m.finite THEN 1 ELSE 0 END, CASE WHEN m.finite THEN m.value END,
                   CASE WHEN m.finite THEN m.value END, CASE WHEN m.finite THEN m.value END, m.value, m.time
            FROM (SELECT step, value, time, value NOT IN ('NaN', 'Infinity', '-Infinity') AS finite FROM points
                  WHERE series_id = {series} AND (step BETWEEN {lo} AND {leftEdge} OR step BETWEEN {rightEdge} AND {hi})) m
            """);

        var acc = new SortedDictionary<long, BucketAccumulator>();
        await foreach (var part in parts.AsAsyncEnumerable().WithCancellation(cancellationToken))
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
    private sealed record RollupLevel(int Shift, long Origin, long BucketSteps)
    {
        public long BlockSteps => 1L << Shift;

        /// <summary>
        /// The coarsest level whose block-aligned buckets still number at least 2/3 of those asked
        /// for (1024-step blocks: a 1,000,000-point series in 500 buckets reads ~1,000 rows); null
        /// when a bucket would span fewer than two 64-step blocks, where raw points are cheaper.
        /// </summary>
        public static RollupLevel? Choose(long lo, long hi, int points)
        {
            foreach (var shift in new[] { MetricCoarseRollup.BlockShift, MetricRollup.BlockShift })
            {
                var block = 1L << shift;
                var origin = lo >> shift << shift;
                var perBucket = ((double)hi - origin + 1) / points;
                var width = (long)Math.Ceiling(perBucket / block) * block;
                if ((double)hi - lo + 1 >= 2.0 * block && width >= 2 * MetricRollup.BlockSteps && width <= perBucket * 1.5)
                {
                    return new RollupLevel(shift, origin, width);
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
        private long _firstStep = long.MaxValue;
        private long _lastStep = long.MinValue;
        private DateTime _lastTime;
        private double _lastValue;
        private long _count;
        private long _finiteCount;
        private double? _min;
        private double? _max;
        private double _mean;

        public void Add(RollupPart part)
        {
            _firstStep = Math.Min(_firstStep, part.FirstStep);
            if (part.LastStep > _lastStep || (part.LastStep == _lastStep && part.LastTime > _lastTime))
            {
                (_lastStep, _lastTime, _lastValue) = (part.LastStep, part.LastTime, part.LastValue);
            }

            _count += part.Count;
            if (part.FiniteCount > 0 && part.Mean is { } partMean)
            {
                _finiteCount += part.FiniteCount;
                // A weighted running _mean: never leaves double's range, unlike a running sum.
                var weight = (double)part.FiniteCount / _finiteCount;
                _mean = (_mean * (1 - weight)) + (partMean * weight);
                _min = _min is { } m ? Math.Min(m, part.Min!.Value) : part.Min;
                _max = _max is { } x ? Math.Max(x, part.Max!.Value) : part.Max;
            }
        }

        public StepBucket ToBucket() =>
            new(_firstStep, _lastStep, _count, _min, _max, _finiteCount > 0 ? _mean : null, _lastValue, _count - _finiteCount, _lastTime);
    }

    private sealed record StepBounds(long? Lo, long? Hi);
}
