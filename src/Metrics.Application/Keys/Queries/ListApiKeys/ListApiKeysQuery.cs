namespace Metrics.Application.Keys.Queries.ListApiKeys;

public sealed record ListApiKeysQuery : IQuery<ApiKeysResponse>;

public sealed record ApiKeysResponse(IReadOnlyList<ApiKeyDto> Keys);
