using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Mediator;
using Metrics.Api.Live;
using Metrics.Application.Keys.Commands.RevokeApiKey;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// What a holder of a read key can make the live endpoints cost, and what a revoked key still gets:
/// the outside probe's findings, over the hub (WebSockets and long polling) and the raw WebSocket.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class LiveAbuseTests
{
    private static Dictionary<string, string> Settings(params (string Key, string Value)[] more) =>
        new[] { ("AUTH_MODE", "keys") }.Concat(more).ToDictionary(p => p.Item1, p => p.Item2);

    private static Uri RawUrl(ApiFactory api, Guid run, string key) =>
        new(api.CreateClient().BaseAddress!.ToString().Replace("http", "ws", StringComparison.Ordinal) + $"ws/metrics/{run}?access_token={key}");

    private static HubConnection Hub(ApiFactory api, string key, HttpTransportType transport = HttpTransportType.WebSockets) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(api.CreateClient().BaseAddress!, "/hubs/metrics"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(key);
                o.Transports = transport;
            })
            .Build();

    private static async Task RevokeAsync(ApiFactory api, Guid keyId)
    {
        await using var scope = api.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ISender>().Send(new RevokeApiKeyCommand(keyId));
    }

    private static Task SendAsync(ClientWebSocket socket, object message) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(message), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next message, or null when the server closed the socket (or nothing came within the wait).</summary>
    private static async Task<JsonElement?> NextAsync(ClientWebSocket socket, TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(10));
        var buffer = new byte[1 << 16];
        try
        {
            var result = await socket.ReceiveAsync(buffer, timeout.Token);
            return result.MessageType == WebSocketMessageType.Close ? null : JsonDocument.Parse(buffer.AsMemory(0, result.Count)).RootElement.Clone();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            return null;
        }
    }

    [Fact]
    public async Task A_revoked_key_loses_its_live_connections_at_once_where_revoked_and_within_seconds_elsewhere()
    {
        // Two instances on one database and Redis; the key is revoked through A.
        await using var a = new ApiFactory(kestrel: true, settings: Settings());
        await using var b = new ApiFactory(kestrel: true, settings: Settings());
        var key = await a.CreateKeyAsync(["metrics:read", "metrics:write"]);
        var run = Guid.NewGuid();
        using var onA = new ClientWebSocket();
        await onA.ConnectAsync(RawUrl(a, run, key.Key), CancellationToken.None);
        using var onB = new ClientWebSocket();
        await onB.ConnectAsync(RawUrl(b, run, key.Key), CancellationToken.None);
        await using var hubOnA = Hub(a, key.Key);
        await hubOnA.StartAsync();
        await hubOnA.InvokeAsync("SubscribeToRun", run.ToString(), (string[]?)null);
        var hubClosed = new TaskCompletionSource();
        hubOnA.Closed += _ => { hubClosed.TrySetResult(); return Task.CompletedTask; };

        await RevokeAsync(a, key.Id);

        (await NextAsync(onA, TimeSpan.FromSeconds(5))).Should().BeNull("the revoking instance ends the key's raw WebSocket at once");
        await hubClosed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        onB.State.Should().Be(WebSocketState.Open, "B has not looked yet");
        await SendAsync(onB, new { type = "ping" });
        (await NextAsync(onB))!.Value.GetProperty("type").GetString().Should().Be("pong");

        // B looks up the keys of its open connections every few seconds (its clock is a fake one).
        b.Clock.Advance(LiveKeyWatch.Interval);
        (await NextAsync(onB, TimeSpan.FromSeconds(10))).Should().BeNull("B ends the connection once it sees the revocation");
        var again = () => new ClientWebSocket().ConnectAsync(RawUrl(b, run, key.Key), CancellationToken.None);
        await again.Should().ThrowAsync<WebSocketException>("within the key lookup's lifetime, B also refuses new connections");
    }

    [Fact]
    public async Task A_connection_follows_a_bounded_number_of_runs_and_leaves_nothing_behind()
    {
        await using var api = new ApiFactory(kestrel: true, settings: Settings(("RATE_LIMIT_REQUESTS", "0")));
        var key = await api.CreateKeyAsync(["metrics:read"]);
        var subscribers = api.Services.GetRequiredService<LiveSubscribers>();
        var path = Guid.NewGuid();
        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(RawUrl(api, path, key.Key), CancellationToken.None);
            var errors = 0;
            for (var i = 0; i < LiveSubscribers.MaxRunsPerConnection + 20; i++)
            {
                await SendAsync(socket, new { type = "subscribe", payload = new { run_id = Guid.NewGuid() } });
                var answer = (await NextAsync(socket))!.Value;
                if (answer.GetProperty("type").GetString() == "error")
                {
                    errors++;
                    answer.GetProperty("payload").GetProperty("message").GetString().Should().Contain("at most 100 runs");
                }
            }

            errors.Should().Be(21, "the path's run and 99 more fill the connection's 100");
            subscribers.RunCount.Should().Be(LiveSubscribers.MaxRunsPerConnection);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        await using var hub = Hub(api, key.Key);
        await hub.StartAsync();
        foreach (var _ in Enumerable.Range(0, LiveSubscribers.MaxRunsPerConnection))
        {
            await hub.InvokeAsync("SubscribeToRun", Guid.NewGuid().ToString(), (string[]?)null);
        }

        var over = () => hub.InvokeAsync("SubscribeToRun", Guid.NewGuid().ToString(), (string[]?)null);
        (await over.Should().ThrowAsync<HubException>()).Which.Message.Should().Contain("at most 100 runs");
        await hub.StopAsync();

        await WaitUntilAsync(() => subscribers.RunCount == 0);
        subscribers.RunCount.Should().Be(0, "each run's entry goes with its last subscriber");
    }

    [Fact]
    public async Task Hub_calls_and_raw_websocket_messages_count_against_the_keys_request_rate()
    {
        await using var api = new ApiFactory(kestrel: true, settings: Settings(("RATE_LIMIT_REQUESTS", "5")));
        var key = await api.CreateKeyAsync(["metrics:read"]);
        await using var hub = Hub(api, key.Key);
        await hub.StartAsync();
        var refused = 0;
        for (var i = 0; i < 30; i++)
        {
            try
            {
                await hub.InvokeAsync("UnsubscribeFromRun", Guid.NewGuid().ToString());
            }
            catch (HubException e) when (e.Message.Contains("Too many requests", StringComparison.Ordinal))
            {
                refused++;
            }
        }

        refused.Should().BeGreaterThan(5, "a burst of 10, then about 5/s");

        using var socket = new ClientWebSocket();
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // refill, so the upgrade request itself passes
        await socket.ConnectAsync(RawUrl(api, Guid.NewGuid(), key.Key), CancellationToken.None);
        var answers = new List<string>();
        for (var i = 0; i < 30; i++)
        {
            await SendAsync(socket, new { type = "ping" });
            var answer = (await NextAsync(socket))!.Value;
            answers.Add(answer.GetProperty("type").GetString()!);
        }

        answers.Should().Contain("pong").And.Contain("error");
    }

    [Fact]
    public async Task The_live_connection_limit_holds_for_long_polling_too()
    {
        await using var api = new ApiFactory(kestrel: true, settings: Settings(("LIVE_CONNECTIONS_PER_KEY", "2"), ("RATE_LIMIT_REQUESTS", "0")));
        var key = await api.CreateKeyAsync(["metrics:read"]);
        await using var first = Hub(api, key.Key, HttpTransportType.LongPolling);
        await using var second = Hub(api, key.Key, HttpTransportType.LongPolling);
        await first.StartAsync();
        await second.StartAsync();

        await using var third = Hub(api, key.Key, HttpTransportType.LongPolling);
        var start = () => third.StartAsync();
        await start.Should().ThrowAsync<HttpRequestException>().Where(e => e.StatusCode == HttpStatusCode.TooManyRequests);
        var negotiate = await api.CreateClient(key.Key).PostAsync("/hubs/metrics/negotiate?negotiateVersion=1", null);
        await negotiate.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        negotiate.Headers.RetryAfter.Should().NotBeNull();
        var raw = () => new ClientWebSocket().ConnectAsync(RawUrl(api, Guid.NewGuid(), key.Key), CancellationToken.None);
        await raw.Should().ThrowAsync<WebSocketException>("raw WebSockets count against the same limit");

        await first.StopAsync();
        await WaitUntilAsync(async () => (await api.CreateClient(key.Key).PostAsync("/hubs/metrics/negotiate?negotiateVersion=1", null)).IsSuccessStatusCode);
        await third.StartAsync();
        third.State.Should().Be(HubConnectionState.Connected, "a closed connection returns its place");
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(() => Task.FromResult(condition()));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
    }
}
