using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>A SignalR .NET client on /hubs/metrics that records every <c>metrics</c> event as raw JSON.</summary>
public sealed class HubProbe : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly Channel<JsonElement> _messages = Channel.CreateUnbounded<JsonElement>();

    private HubProbe(HubConnection connection) => Connection = connection;

    public HubConnection Connection { get; }

    /// <param name="key">An API key, for a service that requires one.</param>
    public static async Task<HubProbe> ConnectAsync(HttpClient api, string? key = null)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(api.BaseAddress!, "/hubs/metrics"), o => o.AccessTokenProvider = () => Task.FromResult(key))
            .Build();
        var probe = new HubProbe(connection);
        connection.On<JsonElement>("metrics", m => probe._messages.Writer.TryWrite(m));
        await connection.StartAsync();
        return probe;
    }

    public Task SubscribeAsync(Guid run, params string[]? names) => Connection.InvokeAsync("SubscribeToRun", run.ToString(), names);

    public Task UnsubscribeAsync(Guid run) => Connection.InvokeAsync("UnsubscribeFromRun", run.ToString());

    public async Task<JsonElement> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Wait);
        return await _messages.Reader.ReadAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync() => await Connection.DisposeAsync();
}

/// <summary>A raw WebSocket client of the old protocol at /ws/metrics/{run_id}.</summary>
public sealed class RawSocketProbe : IAsyncDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private readonly ClientWebSocket _socket = new();

    public static async Task<RawSocketProbe> ConnectAsync(HttpClient api, string runId, string? key = null)
    {
        var probe = new RawSocketProbe();
        if (key is not null)
        {
            probe._socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
        }

        var uri = new UriBuilder(new Uri(api.BaseAddress!, $"/ws/metrics/{runId}")) { Scheme = "ws" }.Uri;
        await probe._socket.ConnectAsync(uri, CancellationToken.None);
        return probe;
    }

    public Task SendAsync(string text) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

    public Task SendAsync(object message) => SendAsync(JsonSerializer.Serialize(message));

    public async Task<JsonElement> NextAsync()
    {
        using var timeout = new CancellationTokenSource(Wait);
        var buffer = new byte[1 << 20];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer.AsMemory(length), timeout.Token);
            length += result.Count;
        }
        while (!result.EndOfMessage);

        return JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }

        _socket.Dispose();
    }
}
