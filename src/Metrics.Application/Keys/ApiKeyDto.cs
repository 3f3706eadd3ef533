using Metrics.Domain.Keys;

namespace Metrics.Application.Keys;

/// <summary>A key as an admin sees it: never its secret.</summary>
public sealed record ApiKeyDto(Guid Id, string Name, IReadOnlyList<string> Scopes, string? Project, DateTime CreatedAt, DateTime? RevokedAt)
{
    public static ApiKeyDto From(ApiKey key) => new(key.Id, key.Name, key.Scopes, key.Project, key.CreatedAt, key.RevokedAt);
}
