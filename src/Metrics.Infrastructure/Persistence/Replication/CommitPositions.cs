using Npgsql;
using NpgsqlTypes;

namespace Metrics.Infrastructure.Persistence.Replication;

/// <summary>
/// Where this instance's writes end in the primary's WAL, so a read can tell whether a standby has
/// replayed them. Only tracked when reads may go to a standby: it costs one round trip per commit.
/// </summary>
internal sealed class CommitPositions(NpgsqlDataSource primary, bool tracking)
{
    private long _latest;

    public bool Tracking => tracking;

    /// <summary>At least the end of every commit this instance has made (0 when not tracking).</summary>
    public ulong Latest => (ulong)Interlocked.Read(ref _latest);

    /// <summary>Just after a commit, on its connection: the WAL insert position is past its commit record.</summary>
    public async Task AfterCommitAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (!tracking)
        {
            return;
        }

        await using var command = new NpgsqlCommand("SELECT pg_current_wal_insert_lsn()", connection);
        Advance((ulong)(NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <summary>The primary's position now: past every commit acknowledged anywhere so far.</summary>
    public async Task<ulong> CurrentAsync(CancellationToken cancellationToken)
    {
        await using var command = primary.CreateCommand("SELECT pg_current_wal_insert_lsn()");
        return (ulong)(NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private void Advance(ulong position)
    {
        long seen;
        do
        {
            seen = Interlocked.Read(ref _latest);
            if ((ulong)seen >= position)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _latest, (long)position, seen) != seen);
    }
}
