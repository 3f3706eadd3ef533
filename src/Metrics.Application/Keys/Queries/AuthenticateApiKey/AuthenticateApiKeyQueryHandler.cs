namespace Metrics.Application.Keys.Queries.AuthenticateApiKey;

internal sealed class AuthenticateApiKeyQueryHandler(IApiKeyStore store) : IQueryHandler<AuthenticateApiKeyQuery, ApiKeyDto?>
{
    public async ValueTask<ApiKeyDto?> Handle(AuthenticateApiKeyQuery query, CancellationToken cancellationToken)
    {
        // Anything that cannot be one of our keys is turned away without a lookup.
        if (!query.Key.StartsWith(ApiKeySecrets.Prefix, StringComparison.Ordinal) || query.Key.Length > 100)
        {
            return null;
        }

        var key = await store.FindByHashAsync(ApiKeySecrets.Hash(query.Key), cancellationToken);
        return key is { IsRevoked: false } ? ApiKeyDto.From(key) : null;
    }
}
