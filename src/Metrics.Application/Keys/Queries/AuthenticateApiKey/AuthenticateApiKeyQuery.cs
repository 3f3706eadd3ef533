namespace Metrics.Application.Keys.Queries.AuthenticateApiKey;

/// <summary>The key presented by a client: who it is and what it may do, or null when unknown or revoked.</summary>
public sealed record AuthenticateApiKeyQuery(string Key) : IQuery<ApiKeyDto?>
{
    /// <summary>Never the secret: records are printed in logs and exceptions.</summary>
    public override string ToString() => $"{nameof(AuthenticateApiKeyQuery)} {{ Key = *** }}";
}
