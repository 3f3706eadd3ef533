namespace Metrics.Application.Common.Models;

/// <summary>
/// The points of one time interval [<see cref="Start"/>, Start + width): min/max/avg over finite
/// values (null when none), the value of the latest point (<see cref="Last"/> at
/// <see cref="LastTime"/>; may be NaN or ±Infinity), the step range, and how many were not finite.
/// </summary>
public sealed record TimeBucket(
    DateTime Start, long Count, double? Min, double? Max, double? Avg, double Last, DateTime LastTime, long? FirstStep, long? LastStep, long NonFinite);

/// <summary>How time buckets are laid out: widths people read easily, edges on a fixed origin.</summary>
public static class TimeBucketLayout
{
    /// <summary>2000-01-03T00:00Z, a Monday and TimescaleDB's time_bucket origin: week buckets start on Mondays.</summary>
    public static readonly DateTime Origin = new(2000, 1, 3, 0, 0, 0, DateTimeKind.Utc);

    private static readonly TimeSpan Week = TimeSpan.FromDays(7);

    private static readonly TimeSpan[] Widths =
    [
        .. new[] { 1, 2, 5, 10, 15, 30 }.Select(s => TimeSpan.FromSeconds(s)),
        .. new[] { 1, 2, 5, 10, 15, 30 }.Select(m => TimeSpan.FromMinutes(m)),
        .. new[] { 1, 2, 3, 6, 12 }.Select(h => TimeSpan.FromHours(h)),
        TimeSpan.FromDays(1), TimeSpan.FromDays(2), Week,
    ];

    /// <summary>The narrowest width whose buckets cover [from, to] in at most <paramref name="points"/> buckets (whole weeks beyond a week).</summary>
    public static TimeSpan ChooseWidth(DateTime from, DateTime to, int points)
    {
        foreach (var width in Widths)
        {
            if (BucketCount(from, to, width) <= points)
            {
                return width;
            }
        }

        var weeks = Math.Max(2, (long)Math.Ceiling((to - from) / Week / points));
        while (BucketCount(from, to, weeks * Week) > points)
        {
            weeks++;
        }

        return weeks * Week;
    }

    /// <summary>The start of the bucket holding <paramref name="time"/>.</summary>
    public static DateTime Floor(DateTime time, TimeSpan width)
    {
        var offset = time.Ticks - Origin.Ticks;
        var index = offset / width.Ticks;
        if (offset % width.Ticks < 0)
        {
            index--; // floor, also before the origin
        }

        // Clamped to DateTime's range: only absurd ranges (year 1 or 9999 with huge widths) reach it.
        var ticks = Origin.Ticks + ((decimal)index * width.Ticks);
        return new DateTime((long)Math.Clamp(ticks, DateTime.MinValue.Ticks, DateTime.MaxValue.Ticks), DateTimeKind.Utc);
    }

    /// <summary>The (exclusive) end of the bucket holding <paramref name="time"/>.</summary>
    public static DateTime End(DateTime time, TimeSpan width)
    {
        var start = Floor(time, width);
        return start.Ticks > DateTime.MaxValue.Ticks - width.Ticks ? DateTime.MaxValue : start + width;
    }

    private static long BucketCount(DateTime from, DateTime to, TimeSpan width) =>
        ((Floor(to, width).Ticks - Floor(from, width).Ticks) / width.Ticks) + 1;
}
