using Mediator;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Exceptions;

namespace Metrics.Application.Keys.Commands.RevokeApiKey;

internal sealed class RevokeApiKeyCommandHandler(IApiKeyStore store, TimeProvider clock) : ICommandHandler<RevokeApiKeyCommand>
{
    public async ValueTask<Unit> Handle(RevokeApiKeyCommand command, CancellationToken cancellationToken)
    {
        if (!await store.RevokeAsync(command.Id, clock.GetUtcNow().UtcDateTime, cancellationToken))
        {
            throw new NotFoundException($"There is no API key {command.Id}.");
        }

        return Unit.Value;
    }
}
