namespace Metrics.Application.Keys.Queries.FindRevokedKeys;

/// <summary>Of these key ids, those that no longer authenticate (revoked, or unknown).</summary>
public sealed record FindRevokedKeysQuery(IReadOnlyCollection<Guid> KeyIds) : IQuery<IReadOnlyList<Guid>>;
