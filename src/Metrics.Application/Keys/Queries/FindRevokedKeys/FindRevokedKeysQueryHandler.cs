namespace Metrics.Application.Keys.Queries.FindRevokedKeys;

internal sealed class FindRevokedKeysQueryHandler(IApiKeyStore store) : IQueryHandler<FindRevokedKeysQuery, IReadOnlyList<Guid>>
{
    public async ValueTask<IReadOnlyList<Guid>> Handle(FindRevokedKeysQuery query, CancellationToken cancellationToken)
    {
        var active = await store.FindActiveAsync(query.KeyIds, cancellationToken);
        return query.KeyIds.Where(id => !active.Contains(id)).Distinct().ToList();
    }
}
