namespace Metrics.Application.Keys.Commands.CreateApiKey;

/// <param name="Project">Optional: the key may then only touch runs of this project.</param>
public sealed record CreateApiKeyCommand(string Name, IReadOnlyList<string> Scopes, string? Project) : ICommand<CreatedApiKeyDto>;

/// <param name="Key">The secret, shown this once: only its hash is stored.</param>
public sealed record CreatedApiKeyDto(Guid Id, string Name, string Key, IReadOnlyList<string> Scopes, string? Project, DateTime CreatedAt);
