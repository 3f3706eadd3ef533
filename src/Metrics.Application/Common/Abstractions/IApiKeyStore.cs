using Metrics.Domain.Keys;

namespace Metrics.Application.Common.Abstractions;

/// <summary>Where API keys live (hashed).</summary>
public interface IApiKeyStore
{
    Task AddAsync(ApiKey key, CancellationToken cancellationToken);

    /// <summary>The key with this hash, revoked or not; null when there is none.</summary>
    Task<ApiKey?> FindByHashAsync(string hash, CancellationToken cancellationToken);

    Task<IReadOnlyList<ApiKey>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Of these ids, the keys that exist and are not revoked; read from the database, never remembered.</summary>
    Task<IReadOnlySet<Guid>> FindActiveAsync(IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken);

    /// <summary>Marks the key revoked at <paramref name="at"/> (once); false when there is no such key.</summary>
    Task<bool> RevokeAsync(Guid id, DateTime at, CancellationToken cancellationToken);
}
