using Metrics.Domain.Keys;

namespace Metrics.Application.Keys.Commands.CreateApiKey;

internal sealed class CreateApiKeyCommandHandler(IApiKeyStore store, TimeProvider clock) : ICommandHandler<CreateApiKeyCommand, CreatedApiKeyDto>
{
    public async ValueTask<CreatedApiKeyDto> Handle(CreateApiKeyCommand command, CancellationToken cancellationToken)
    {
        var secret = ApiKeySecrets.Generate();
        var key = ApiKey.Create(Guid.NewGuid(), command.Name.Trim(), ApiKeySecrets.Hash(secret), command.Scopes, command.Project, clock.GetUtcNow().UtcDateTime);
        await store.AddAsync(key, cancellationToken);
        return new CreatedApiKeyDto(key.Id, key.Name, secret, key.Scopes, key.Project, key.CreatedAt);
    }
}
