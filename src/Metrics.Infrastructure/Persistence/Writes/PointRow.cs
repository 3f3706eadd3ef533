namespace Metrics.Infrastructure.Persistence.Writes;

/// <summary>A point of a group on its way into <c>points</c>: its series id and identity, and where it came from (<see cref="Source"/> indexes the group's points).</summary>
internal readonly record struct PointRow(long SeriesId, long? Step, DateTime Time, int Source) : IComparable<PointRow>
{
    /// <summary>
    /// The identity index's order (step NULLS LAST), then the group's order: sorted rows hold each
    /// series and each step block contiguously, concurrent groups take index entries in one order,
    /// and of points sharing an identity the first sent comes first.
    /// </summary>
    public int CompareTo(PointRow other)
    {
        var c = SeriesId.CompareTo(other.SeriesId);
        if (c != 0)
        {
            return c;
        }

        if (Step != other.Step)
        {
            return Step is null ? 1 : other.Step is null ? -1 : Step.Value.CompareTo(other.Step.Value);
        }

        c = Time.CompareTo(other.Time);
        return c != 0 ? c : Source.CompareTo(other.Source);
    }

    public bool SameIdentity(PointRow other) => SeriesId == other.SeriesId && Step == other.Step && Time == other.Time;
}
