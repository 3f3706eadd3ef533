namespace Metrics.Application.Keys.Commands.RevokeApiKey;

/// <summary>Revokes a key for good; revoking it again changes nothing.</summary>
public sealed record RevokeApiKeyCommand(Guid Id) : ICommand;
