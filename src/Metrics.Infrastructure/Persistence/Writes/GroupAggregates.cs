using Metrics.Domain.Metrics;

namespace Metrics.Infrastructure.Persistence.Writes;

/// <summary>
/// What a group adds to each series' summary and to its 64-step rollup blocks, computed from the points
/// it really inserted (sorted <see cref="PointRow"/>s, so each series and each block is one run
/// of rows). Means, M2 and sums are double arithmetic on values scaled by a power of two when the
/// values are so large that squares or sums would leave double's range; the stored aggregates are
/// numeric, and the merge there is exact (<see cref="AggregateSql"/>).
/// </summary>
internal sealed class GroupAggregates
{
    // Scaled values stay below 2^500 for Welford (squares below 2^1000) and below 2^900 for sums.
    private const int WelfordExponent = 500;
    private const int SumExponent = 900;

    public List<SummaryDelta> Summaries { get; } = [];

    /// <summary>64-step blocks; the statement folds them into the 1024-step level.</summary>
    public List<BlockDelta> Blocks { get; } = [];

    public static GroupAggregates Of(ReadOnlySpan<PointRow> rows, IReadOnlyList<Metric> points)
    {
        var result = new GroupAggregates();
        for (var start = 0; start < rows.Length;)
        {
            var end = start + 1;
            while (end < rows.Length && rows[end].SeriesId == rows[start].SeriesId)
            {
                end++;
            }

            var series = rows[start..end];
            result.Summaries.Add(Summarize(series, points));
            AddBlocks(series, points, result.Blocks);
            start = end;
        }

        return result;
    }

    private static SummaryDelta Summarize(ReadOnlySpan<PointRow> rows, IReadOnlyList<Metric> points)
    {
        long nan = 0, inf = 0, finite = 0;
        double min = double.PositiveInfinity, max = double.NegativeInfinity, maxAbs = 0;
        DateTime first = DateTime.MaxValue, last = DateTime.MinValue;
        DateTime? stepLess = null;
        foreach (var row in rows)
        {
            var v = points[row.Source].Value;
            first = row.Time < first ? row.Time : first;
            last = row.Time > last ? row.Time : last;
            if (row.Step is null)
            {
                stepLess = stepLess is { } t && t > row.Time ? t : row.Time;
            }

            if (double.IsNaN(v))
            {
                nan++;
            }
            else if (double.IsInfinity(v))
            {
                inf++;
            }
            else
            {
                finite++;
                min = Math.Min(min, v);
                max = Math.Max(max, v);
                maxAbs = Math.Max(maxAbs, Math.Abs(v));
            }
        }

        // Welford's update, in one pass over the finite values.
        var scale = ScaleFor(maxAbs, WelfordExponent);
        double mean = 0, m2 = 0;
        long k = 0;
        foreach (var row in rows)
        {
            var v = points[row.Source].Value;
            if (double.IsFinite(v))
            {
                var x = Math.ScaleB(v, -scale);
                var delta = x - mean;
                mean += delta / ++k;
                m2 += delta * (x - mean);
            }
        }

        // Rows are in step order (NULLS LAST), then time: the latest point is the last stepped
        // row, or with no steps at all the last (newest) row.
        var latestRow = rows[^1];
        for (var i = rows.Length - 1; i >= 0; i--)
        {
            if (rows[i].Step is not null)
            {
                latestRow = rows[i];
                break;
            }
        }

        var latest = points[latestRow.Source];
        var anyFinite = finite > 0;
        return new SummaryDelta(
            latestRow.SeriesId, latest.RunId, latest.Name, rows.Length, finite, nan, inf,
            anyFinite ? min : null, anyFinite ? max : null, anyFinite ? mean : null, anyFinite ? m2 : null, scale,
            first, last, latest.Step, latest.Time, latest.Value, latest.Metadata,
            latestRow.Step, stepLess);
    }

    private static void AddBlocks(ReadOnlySpan<PointRow> rows, IReadOnlyList<Metric> points, List<BlockDelta> into)
    {
        var start = 0;
        while (start < rows.Length && rows[start].Step is { } firstStep)
        {
            var block = firstStep >> MetricRollup.BlockShift;
            var end = start + 1;
            while (end < rows.Length && rows[end].Step is { } s && s >> MetricRollup.BlockShift == block)
            {
                end++;
            }

            long finite = 0;
            double min = double.PositiveInfinity, max = double.NegativeInfinity, maxAbs = 0;
            foreach (var row in rows[start..end])
            {
                var v = points[row.Source].Value;
                if (double.IsFinite(v))
                {
                    finite++;
                    min = Math.Min(min, v);
                    max = Math.Max(max, v);
                    maxAbs = Math.Max(maxAbs, Math.Abs(v));
                }
            }

            var scale = ScaleFor(maxAbs, SumExponent);
            var sum = 0.0;
            foreach (var row in rows[start..end])
            {
                var v = points[row.Source].Value;
                sum += double.IsFinite(v) ? Math.ScaleB(v, -scale) : 0;
            }

            // The last row has the block's highest step and, among its points, the latest time.
            var lastRow = rows[end - 1];
            var any = finite > 0;
            var owner = points[lastRow.Source];
            into.Add(new BlockDelta(owner.RunId, owner.Name, block, end - start, finite, any ? min : null, any ? max : null,
                any ? sum : null, scale, firstStep, lastRow.Step!.Value, lastRow.Time, owner.Value));
            start = end;
        }
    }

    private static int ScaleFor(double maxAbs, int exponent) =>
        maxAbs > 0 && Math.ILogB(maxAbs) > exponent ? Math.ILogB(maxAbs) - exponent : 0;
}

/// <summary>A group's contribution to one series' summary; mean and M2 are of the values times 2^-Scale.</summary>
internal sealed record SummaryDelta(
    long SeriesId, Guid RunId, string Name, long Count, long FiniteCount, long NanCount, long InfCount,
    double? Min, double? Max, double? Mean, double? M2, int Scale,
    DateTime FirstTime, DateTime LastTime, long? LatestStep, DateTime LatestTime, double LatestValue, string? LatestMetadata,
    long? MaxStep, DateTime? MaxStepLessTime);

/// <summary>A group's contribution to one rollup block; the sum is of the finite values times 2^-Scale.</summary>
internal sealed record BlockDelta(
    Guid RunId, string Name, long Block, long Count, long FiniteCount, double? Min, double? Max, double? Sum, int Scale,
    long FirstStep, long LastStep, DateTime LastTime, double LastValue);
