using Microsoft.Extensions.Configuration;

namespace Metrics.Infrastructure.Persistence.Replication;

/// <summary>Reads from PostgreSQL's hot standby (ADR 0026).</summary>
public sealed class ReplicaOptions
{
    /// <summary>
    /// Cached reads go to a standby named in TIMESCALE_URL when it has replayed every commit they
    /// must see; otherwise, and for every other read, to the primary.
    /// </summary>
    [ConfigurationKeyName("READ_FROM_STANDBY")]
    public bool ReadFromStandby { get; set; }
}
