namespace Metrics.Infrastructure.Persistence;

/// <summary>Aggregates of one series over a block of consecutive steps (block = step &gt;&gt; shift).</summary>
public abstract class RollupBlock
{
    public Guid RunId { get; init; }

    public string MetricName { get; init; } = string.Empty;

    public long Block { get; init; }

    public long Count { get; init; }

    public long FiniteCount { get; init; }

    public double? MinValue { get; init; }

    public double? MaxValue { get; init; }

    /// <summary>Sum of finite values, in numeric so huge values cannot overflow.</summary>
    public decimal? FiniteSum { get; init; }

    public long FirstStep { get; init; }

    public long LastStep { get; init; }

    public DateTime LastTime { get; init; }

    public double LastValue { get; init; }
}

/// <summary>
/// 64-step blocks, kept current by every insert, so a chart of a million-point series reads
/// ~16,000 rows, not 1,000,000.
/// </summary>
public sealed class MetricRollup : RollupBlock
{
    public const string Table = "metric_rollups";

    /// <summary>Steps per block: 2^<see cref="BlockShift"/>.</summary>
    public const int BlockShift = 6;
    public const int BlockSteps = 1 << BlockShift;
}

/// <summary>
/// 1024-step blocks (16 of <see cref="MetricRollup"/>), kept current by every insert: a chart of a
/// million-point series reads ~1,000 rows.
/// </summary>
public sealed class MetricCoarseRollup : RollupBlock
{
    public const string Table = "metric_rollups_coarse";

    public const int BlockShift = 10;
    public const int BlockSteps = 1 << BlockShift;
}
