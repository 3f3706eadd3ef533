namespace Metrics.Domain.Common;

/// <summary>Time rules shared by every stored point.</summary>
public static class DomainTime
{
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000;

    /// <summary>
    /// UTC, truncated to the microsecond that PostgreSQL's timestamptz keeps, so a point
    /// echoed back or retried compares equal to the stored one.
    /// </summary>
    public static DateTime Normalize(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        return new DateTime(ticks - (ticks % TicksPerMicrosecond), DateTimeKind.Utc);
    }
}
