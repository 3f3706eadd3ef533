namespace Metrics.Application.Keys.Queries.ListApiKeys;

internal sealed class ListApiKeysQueryHandler(IApiKeyStore store) : IQueryHandler<ListApiKeysQuery, ApiKeysResponse>
{
    public async ValueTask<ApiKeysResponse> Handle(ListApiKeysQuery query, CancellationToken cancellationToken) =>
        new((await store.ListAsync(cancellationToken)).Select(ApiKeyDto.From).ToList());
}
