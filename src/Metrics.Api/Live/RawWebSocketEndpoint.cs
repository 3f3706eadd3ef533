using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Mediator;
using Metrics.Api.Problems;
using Metrics.Api.Security;
using Metrics.Api.Wire;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Exceptions;
using Metrics.Application.Common.Telemetry;
using Metrics.Application.Runs.Queries.CheckRunAccess;
using Metrics.Domain.Keys;
using Metrics.Domain.Metrics;

namespace Metrics.Api.Live;

/// <summary>
/// The old service's raw WebSocket protocol at /ws/metrics/{run_id}. The connection starts out
/// following its path's run (every metric). Client messages:
/// <c>{"type":"subscribe","payload":{"run_id":"…","metric_names":["loss"]}}</c> (run_id defaults to
/// the path's; an empty list means every metric), <c>{"type":"unsubscribe"}</c> (stops delivery;
/// with a payload run_id, for that run only), <c>{"type":"ping"}</c>. The server sends
/// <c>{"type":"metric","payload":{"run_id","seq","metrics":[…]}}</c>, and <c>{"type":"error",…}</c> for
/// a message it cannot use, keeping the connection open.
/// </summary>
internal static partial class RawWebSocketEndpoint
{
    private const int QueueCapacity = 256;
    private const int MaxClientMessageBytes = 16 * 1024;

    public static IEndpointConventionBuilder MapRawMetricsWebSocket(this IEndpointRouteBuilder endpoints) =>
        endpoints.Map(LiveRoutes.RawWebSocket, HandleAsync).WithName("MetricsWebSocket").ExcludeFromDescription()
            .RequireAuthorization(ApiScopes.Read);

    private static async Task HandleAsync(
        HttpContext context, string run_id, LiveSubscribers subscribers, LiveConnections connections, RateLimits.RequestQuota quota, ISender sender,
        ILiveRunInterest interest, IHostApplicationLifetime lifetime, ServiceMetrics telemetry, ILoggerFactory loggers)
    {
        // Refused before the upgrade, as plain HTTP problems.
        if (!Guid.TryParse(run_id, out var runId) || runId == Guid.Empty)
        {
            await ProblemWriter.WriteAsync(context, 400, "Invalid run id", $"'{run_id}' is not a UUID.");
            return;
        }

        async Task<string?> RefusalAsync(Guid run)
        {
            try
            {
                await sender.Send(new CheckRunAccessQuery(run), context.RequestAborted);
                return null;
            }
            catch (ForbiddenException e)
            {
                return e.Message;
            }
        }

        if (await RefusalAsync(runId) is { } refusal)
        {
            await ProblemWriter.WriteAsync(context, 403, "Forbidden", refusal);
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            await ProblemWriter.WriteAsync(context, 400, "WebSocket required", "Connect with a WebSocket upgrade request.");
            return;
        }

        var json = WireJson.Options;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            KeepAliveInterval = TimeSpan.FromSeconds(15),
            KeepAliveTimeout = TimeSpan.FromSeconds(30),
        });
        using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var connection = new Connection(socket, json, ApiKeyAuthenticationHandler.KeyIdOf(context.User));
        if (!await connections.TryOpenAsync(connection, context.RequestAborted))
        {
            // Lost a race with another connection of the key (the common case is refused before the upgrade).
            await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "Too many live connections for this API key.", context.RequestAborted);
            return;
        }

        var protocol = new KeyValuePair<string, object?>("protocol", "websocket");
        telemetry.LiveConnections.Add(1, protocol);
        await interest.FollowAsync(runId, context.RequestAborted);
        subscribers.Subscribe(runId, connection, null);
        var sending = connection.RunSendLoopAsync(done.Token);

        // Shutdown ends the connection with 1001 (going away), so the client reconnects elsewhere:
        // the send loop is let finish (one send at a time), then the close goes out, and the client's
        // answering close ends the receive loop. (Cancelling a pending receive would abort the socket.)
        using var onShutdown = lifetime.ApplicationStopping.Register(() => _ = CloseForShutdownAsync());
        async Task CloseForShutdownAsync()
        {
            subscribers.Remove(connection);
            connection.Complete();
            await sending;
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "Server shutting down; reconnect.", grace.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or InvalidOperationException)
            {
                await done.CancelAsync(); // the peer is gone: stop waiting for it
            }
        }

        try
        {
            await ReceiveLoopAsync(
                socket, connection, runId, subscribers, json, RefusalAsync, () => LiveMessageLimits.RefusalAsync(connections, quota, connection.KeyId, context.RequestAborted),
                run => interest.FollowAsync(run, done.Token), done.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            LogClosed(loggers.CreateLogger(typeof(RawWebSocketEndpoint)), runId, ex.Message);
        }
        finally
        {
            subscribers.Remove(connection);
            connections.Close(connection);
            connection.Complete();
            await done.CancelAsync();
            await sending;
            telemetry.LiveConnections.Add(-1, protocol);
        }
    }

    private static async Task ReceiveLoopAsync(
        WebSocket socket, Connection connection, Guid pathRun, LiveSubscribers subscribers, JsonSerializerOptions json,
        Func<Guid, Task<string?>> refusal, Func<ValueTask<(bool Revoked, string Message)?>> limits, Func<Guid, ValueTask> follow, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxClientMessageBytes);
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == MaxClientMessageBytes)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, "Client messages are limited to 16 KiB.", ct);
                        return;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(length, MaxClientMessageBytes - length), ct);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
                    }

                    return; // (or the answer to our own close, at shutdown)
                }

                // Every message is a request of the key; once it is revoked, the connection ends.
                if (await limits() is { } refused)
                {
                    if (refused.Revoked)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.PolicyViolation, refused.Message, ct);
                        return;
                    }

                    connection.SendError(refused.Message);
                    continue;
                }

                // Another run than the path's: the key must be allowed to follow it too.
                if (Parse(buffer.AsSpan(0, length), json) is { Type: "subscribe", Payload.RunId: { } other } && other != pathRun && other != Guid.Empty
                    && await refusal(other) is { } forbidden)
                {
                    connection.SendError(forbidden);
                    continue;
                }

                // A run subscribed to is followed across instances before the client is told so
                // (and only then: a refused subscribe costs Redis nothing).
                if (Handle(buffer.AsSpan(0, length), connection, pathRun, subscribers, json) is { } subscribed)
                {
                    await follow(subscribed);
                    connection.SendControl("subscribed", new { run_id = subscribed });
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <returns>The run the message subscribed the connection to, which the caller confirms.</returns>
    private static Guid? Handle(ReadOnlySpan<byte> text, Connection connection, Guid pathRun, LiveSubscribers subscribers, JsonSerializerOptions json)
    {
        ClientMessage? message;
        try
        {
            message = JsonSerializer.Deserialize<ClientMessage>(text, json);
        }
        catch (JsonException)
        {
            connection.SendError("Messages are JSON objects: {\"type\":\"subscribe\"|\"unsubscribe\"|\"ping\",\"payload\":{…}}.");
            return null;
        }

        var run = message?.Payload?.RunId ?? pathRun;
        switch (message?.Type)
        {
            case "subscribe" when run == Guid.Empty:
                connection.SendError("'run_id' must be a run's UUID.");
                break;
            case "subscribe" when message.Payload?.MetricNames is { } names && !names.All(MetricRules.IsValidName):
                connection.SendError("'metric_names' holds an invalid metric name.");
                break;
            case "subscribe" when !subscribers.Subscribe(run, connection, message.Payload?.MetricNames?.ToHashSet(StringComparer.Ordinal)):
                connection.SendError(LiveSubscribers.TooManyRunsMessage);
                break;
            case "subscribe":
                return run;
            case "unsubscribe" when message.Payload?.RunId is { } only:
                subscribers.Unsubscribe(only, connection);
                connection.SendControl("unsubscribed", new { run_id = only });
                break;
            case "unsubscribe":
                // Stops delivery altogether (the old service wrongly went back to "all metrics").
                subscribers.Remove(connection);
                connection.SendControl("unsubscribed", new { });
                break;
            case "ping":
                connection.SendControl("pong", new { });
                break;
            default:
                connection.SendError($"Unknown message type '{message?.Type}'; expected subscribe, unsubscribe or ping.");
                break;
        }

        return null;
    }

    private static ClientMessage? Parse(ReadOnlySpan<byte> text, JsonSerializerOptions json)
    {
        try
        {
            return JsonSerializer.Deserialize<ClientMessage>(text, json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record ClientMessage(string? Type, ClientPayload? Payload);

    private sealed record ClientPayload(Guid? RunId, string[]? MetricNames);

    private sealed record ServerMessage<T>(string Type, T Payload);

    private sealed class Connection(WebSocket socket, JsonSerializerOptions json, string? keyId) : LiveConnection<byte[]>(QueueCapacity, keyId)
    {
        public override void Abort() => socket.Abort();

        // The frame is shared by every raw WebSocket with the same filter; the send loop only writes bytes.
        protected override byte[] ToMessage(LivePayload payload) => payload.WebSocketFrame;

        public void SendControl<T>(string type, T payload) => TryEnqueue(JsonSerializer.SerializeToUtf8Bytes(new ServerMessage<T>(type, payload), json));

        public void SendError(string message) => SendControl("error", new { message });

        protected override Task SendAsync(byte[] message, CancellationToken cancellationToken) =>
            socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Raw WebSocket for run {RunId} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, Guid runId, string reason);
}
