using System.Data.Common;
using Metrics.Application.Common.Abstractions;
using Microsoft.Extensions.Options;

namespace Metrics.Api.Security;

/// <summary>
/// A first start with keys required and none made yet would refuse every request without saying
/// why: say it once, at start, with the command that makes the first key.
/// </summary>
internal sealed partial class FirstKeyHint(IServiceScopeFactory scopes, IOptions<AuthOptions> auth, ILogger<FirstKeyHint> logger) : BackgroundService
{
    public const string Command = "./build/run keys create --scopes admin,metrics:read,metrics:write --name <you>";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (auth.Value.Mode is not AuthMode.Keys)
        {
            return;
        }

        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var keys = await scope.ServiceProvider.GetRequiredService<IApiKeyStore>().ListAsync(stoppingToken);
            if (!keys.Any(k => k.RevokedAt is null))
            {
                LogNoKey(logger, Command);
            }
        }
        catch (Exception e) when (e is DbException or InvalidOperationException or TimeoutException)
        {
            // The database is away at start: /health/ready says so, and this hint can wait for the next start.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "No API key exists yet, so every request is refused (401). Make the first one: {Command} (in a container: dotnet Metrics.Api.dll keys create …).")]
    private static partial void LogNoKey(ILogger logger, string command);
}
