using Mediator;
using Metrics.Application.Keys.Queries.FindRevokedKeys;

namespace Metrics.Api.Live;

/// <summary>
/// Ends live connections whose key was revoked through another instance: every
/// <see cref="Interval"/>, the keys of this instance's open connections are looked up (one query,
/// only while there are any). The instance that revokes a key ends its connections at once. Each
/// tick also restates this instance's connection counts in Redis, which keep the per-key cap across instances.
/// </summary>
internal sealed partial class LiveKeyWatch(
    LiveConnections connections, IServiceScopeFactory scopes, TimeProvider clock, ILogger<LiveKeyWatch> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await connections.RestateAsync(stoppingToken);
            var keys = connections.KeyIds().Select(k => Guid.TryParse(k, out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).ToList();
            if (keys.Count == 0)
            {
                continue;
            }

            try
            {
                await using var scope = scopes.CreateAsyncScope();
                foreach (var revoked in await scope.ServiceProvider.GetRequiredService<ISender>().Send(new FindRevokedKeysQuery(keys), stoppingToken))
                {
                    LogEnded(logger, revoked);
                    connections.EndConnectionsOf(revoked);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The database is away: try again next time (connections stay as they are meanwhile).
                LogLookupFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ended the live connections of revoked API key {KeyId}")]
    private static partial void LogEnded(ILogger logger, Guid keyId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not check the keys of live connections: {Reason}")]
    private static partial void LogLookupFailed(ILogger logger, string reason);
}
