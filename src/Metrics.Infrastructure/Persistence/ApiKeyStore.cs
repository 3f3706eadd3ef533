using System.Collections.Concurrent;
using Metrics.Application.Common.Abstractions;
using Metrics.Domain.Keys;
using Microsoft.EntityFrameworkCore;

namespace Metrics.Infrastructure.Persistence;

/// <summary>
/// API keys in <c>api_keys</c>. Lookups are remembered for <see cref="LookupLifetime"/> so a request
/// costs no query; a revocation through this instance takes effect at once, through another
/// instance within that lifetime.
/// </summary>
internal sealed class ApiKeyStore(MetricsDbContext db, ApiKeyLookups lookups, TimeProvider clock) : IApiKeyStore
{
    public static readonly TimeSpan LookupLifetime = TimeSpan.FromSeconds(10);

    public async Task AddAsync(ApiKey key, CancellationToken cancellationToken)
    {
        db.Add(key);
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<ApiKey?> FindByHashAsync(string hash, CancellationToken cancellationToken)
    {
        var now = clock.GetTimestamp();
        if (lookups.Entries.TryGetValue(hash, out var hit) && clock.GetElapsedTime(hit.At, now) < LookupLifetime)
        {
            return hit.Key;
        }

        var key = await db.Set<ApiKey>().AsNoTracking().Where(k => k.Hash == hash).ToListAsync(cancellationToken);
        if (lookups.Entries.Count >= ApiKeyLookups.MaxEntries)
        {
            lookups.Entries.Clear(); // a flood of made-up keys must not grow memory
        }

        lookups.Entries[hash] = (key.FirstOrDefault(), now);
        return key.FirstOrDefault();
    }

    public async Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken) =>
        await db.Set<ApiKey>().AsNoTracking().OrderBy(k => k.CreatedAt).ThenBy(k => k.Id).ToListAsync(cancellationToken);

    public async Task<IReadOnlySet<Guid>> FindActiveAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        var wanted = ids.ToArray();
        return (await db.Set<ApiKey>().AsNoTracking().Where(k => wanted.Contains(k.Id) && k.RevokedAt == null).Select(k => k.Id)
            .ToListAsync(cancellationToken)).ToHashSet();
    }

    public async Task<bool> RevokeAsync(Guid id, DateTime at, CancellationToken cancellationToken)
    {
        var hashes = await db.Set<ApiKey>().Where(k => k.Id == id).Select(k => k.Hash).ToListAsync(cancellationToken);
        if (hashes is not [var hash])
        {
            return false;
        }

        await db.Set<ApiKey>().Where(k => k.Id == id && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, at), cancellationToken);
        lookups.Entries.TryRemove(hash, out _);
        return true;
    }
}

/// <summary>The remembered lookups, shared by every request of this instance.</summary>
internal sealed class ApiKeyLookups
{
    public const int MaxEntries = 10_000;

    public ConcurrentDictionary<string, (ApiKey? Key, long At)> Entries { get; } = new(StringComparer.Ordinal);
}
