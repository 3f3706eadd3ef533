using Metrics.Domain.Common;

namespace Metrics.Domain.Keys;

/// <summary>
/// A client's credential. Only the SHA-256 of the secret is stored; the secret is shown once, when
/// the key is created. A key bound to a <see cref="Project"/> may only touch runs of that project.
/// </summary>
public sealed class ApiKey
{
    public const int MaxNameLength = 100;

    /// <summary>A name is shown in listings and the dashboard (see <see cref="DisplayText"/>).</summary>
    public static bool IsValidName(string? name) => DisplayText.IsValid(name, MaxNameLength);

    private ApiKey()
    {
    }

    public Guid Id { get; private set; }

    public string Name { get; private set; } = string.Empty;

    /// <summary>Lower-case hex SHA-256 of the whole key.</summary>
    public string Hash { get; private set; } = string.Empty;

    public string[] Scopes { get; private set; } = [];

    public string? Project { get; private set; }

    public DateTime CreatedAt { get; private set; }

    public DateTime? RevokedAt { get; private set; }

    public bool IsRevoked => RevokedAt is not null;

    public static ApiKey Create(Guid id, string name, string hash, IEnumerable<string> scopes, string? project, DateTime createdAt) => new()
    {
        Id = id,
        Name = name,
        Hash = hash,
        Scopes = scopes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
        Project = project,
        CreatedAt = createdAt,
    };

    /// <summary>Admin includes every other scope.</summary>
    public bool Allows(string scope) => !IsRevoked && (Scopes.Contains(scope, StringComparer.Ordinal) || Scopes.Contains(ApiScopes.Admin, StringComparer.Ordinal));
}
