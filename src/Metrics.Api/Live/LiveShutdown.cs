using System.Collections.Concurrent;
using Metrics.Api.Problems;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.SignalR;

namespace Metrics.Api.Live;

/// <summary>
/// SIGTERM ends SignalR connections the way a client can act on: a close message that allows
/// reconnecting, then a WebSocket close frame. SignalR's own shutdown cancels its transports, which
/// resets the TCP connection instead. New live connections are refused (503) while shutting down,
/// so a reconnecting client is sent elsewhere rather than back here.
/// </summary>
internal sealed partial class LiveShutdown(IHostApplicationLifetime lifetime, ILogger<LiveShutdown> logger) : IHostedService
{
    /// <summary>How long shutdown waits for closing handshakes; SignalR's own WebSocket close timeout.</summary>
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, HubCallerContext> _hubConnections = new(StringComparer.Ordinal);
    private CancellationTokenRegistration _onStopping;

    public bool IsStopping => lifetime.ApplicationStopping.IsCancellationRequested;

    public void Add(HubCallerContext connection) => _hubConnections[connection.ConnectionId] = connection;

    public void Remove(HubCallerContext connection) => _hubConnections.TryRemove(connection.ConnectionId, out _);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Registered after SignalR's connection manager (created when the hub was mapped), so it runs
        // before that manager's own stopping callback: stopping callbacks run last-registered first.
        _onStopping = lifetime.ApplicationStopping.Register(CloseHubConnections);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _onStopping.DisposeAsync().AsTask();

    private void CloseHubConnections()
    {
        var closed = new List<Task>();
        foreach (var connection in _hubConnections.Values)
        {
            // RequestClose makes the hub send a close message with allowReconnect, end its connection,
            // and the transport then closes the WebSocket with a close frame.
            connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.RequestClose();
            if (connection.Features.Get<IConnectionLifetimeFeature>() is { } lifetimeFeature)
            {
                closed.Add(Task.Delay(Timeout.Infinite, lifetimeFeature.ConnectionClosed).ContinueWith(_ => { }, TaskScheduler.Default));
            }
        }

        // Blocking is what SignalR's own stopping callback does next; it must not run before these end.
        if (closed.Count > 0 && !Task.WaitAll([.. closed], CloseTimeout))
        {
            LogCloseTimedOut(logger, closed.Count(t => !t.IsCompleted), closed.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown: {Open} of {Total} SignalR connections did not finish their close within 5 s; they are cut")]
    private static partial void LogCloseTimedOut(ILogger logger, int open, int total);
}

internal static class LiveShutdownExtensions
{
    /// <summary>New live connections are answered 503 (with Retry-After) once shutdown began.</summary>
    public static IApplicationBuilder UseLiveShutdown(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.RequestServices.GetRequiredService<LiveShutdown>().IsStopping && LiveRoutes.OpensConnection(context.Request))
            {
                context.Response.Headers.RetryAfter = "1";
                await ProblemWriter.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "Shutting down", "This instance is shutting down; connect again (to another instance).");
                return;
            }

            await next(context);
        });
}
