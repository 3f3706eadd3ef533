using Metrics.Application.Common.Exceptions;

namespace Metrics.Application.Keys.Commands.RevokeApiKey;

internal sealed class RevokeApiKeyCommandHandler(IApiKeyStore store, ILiveKeyAccess live, TimeProvider clock) : ICommandHandler<RevokeApiKeyCommand>
{
    public async ValueTask<Unit> Handle(RevokeApiKeyCommand command, CancellationToken cancellationToken)
    {
        if (!await store.RevokeAsync(command.Id, clock.GetUtcNow().UtcDateTime, cancellationToken))
        {
            throw new NotFoundException($"There is no API key {command.Id}.");
        }

        // At once here; other instances notice within LiveKeyWatch's interval.
        live.EndConnectionsOf(command.Id);
        return Unit.Value;
    }
}
