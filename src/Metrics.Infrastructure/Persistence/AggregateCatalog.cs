namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// Which of the continuous aggregates (TimescaleDB, migration TimescaleStorage) this database has.
/// One per data source: once found they stay; until then every read asks again (one catalog lookup),
/// so a database migrated after start-up is noticed.
/// </summary>
internal sealed class AggregateCatalog
{
    public const string Minutes = "metric_minutes";
    public const string Hours = "metric_hours";

    private Set? _known;

    public Set? Known => Volatile.Read(ref _known);

    public void Remember(Set found)
    {
        if (found.Minutes || found.Hours)
        {
            Volatile.Write(ref _known, found);
        }
    }

    public sealed record Set(bool Minutes, bool Hours);
}
