using Metrics.Application.Common.Abstractions;
using Microsoft.EntityFrameworkCore;

namespace Metrics.Infrastructure.Persistence;

/// <summary>Idempotency records in PostgreSQL, so they survive restarts and Redis outages, like the data they protect.</summary>
internal sealed class IdempotencyStore(MetricsDbContext db, TimeProvider clock) : IIdempotencyStore
{
    public async Task<IdempotencyRecord?> TryClaimAsync(string scope, string key, string requestHash, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var staleBefore = now - lease;
        // Claim a free key, or take over a claim whose request died (older than the lease, no answer).
        var claimed = await db.Database.SqlQuery<int>($"""
            INSERT INTO idempotency_keys AS k (scope, key, request_hash, claimed_at)
            VALUES ({scope}, {key}, {requestHash}, {now})
            ON CONFLICT (scope, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, claimed_at = EXCLUDED.claimed_at
                WHERE k.status IS NULL AND k.claimed_at < {staleBefore}
            RETURNING 1 AS "Value"
            """).ToListAsync(cancellationToken);
        if (claimed.Count == 1)
        {
            return null;
        }

        var existing = await db.Set<IdempotencyEntry>().AsNoTracking()
            .Where(e => e.Scope == scope && e.Key == key)
            .Select(e => new IdempotencyRecord(e.RequestHash, e.Status, e.ContentType, e.Body))
            .ToListAsync(cancellationToken);
        // Released between the two statements: claim again.
        return existing is [var record] ? record : await TryClaimAsync(scope, key, requestHash, lease, cancellationToken);
    }

    public async Task CompleteAsync(string scope, string key, int status, string? contentType, byte[] body, CancellationToken cancellationToken) =>
        await db.Set<IdempotencyEntry>().Where(e => e.Scope == scope && e.Key == key)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, status).SetProperty(e => e.ContentType, contentType).SetProperty(e => e.Body, body), cancellationToken);

    public async Task ReleaseAsync(string scope, string key, CancellationToken cancellationToken) =>
        await db.Set<IdempotencyEntry>().Where(e => e.Scope == scope && e.Key == key && e.Status == null).ExecuteDeleteAsync(cancellationToken);
}
