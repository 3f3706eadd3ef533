using System.Net.WebSockets;
using System.Text;

namespace Metrics.LiveBench;

/// <summary>
/// A minimal SignalR client over one WebSocket (JSON protocol, negotiation skipped): enough to
/// subscribe and receive, at a fraction of the full client's memory, so one process can hold
/// thousands of connections.
/// </summary>
internal sealed class SignalRSocket : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    /// <summary>Called with each `metrics` event's run seq and the time it was fully received.</summary>
    public Action<long, long>? OnMetrics { get; set; }

    public async Task ConnectAsync(Uri hub, CancellationToken ct)
    {
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await _socket.ConnectAsync(hub, ct);
        await SendRawAsync("{\"protocol\":\"json\",\"version\":1}" + RecordSeparator, ct);
        var handshake = await ReceiveMessageAsync(new byte[4096], ct);
        if (handshake is null || !handshake.StartsWith('{') || handshake.Contains("error", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"SignalR handshake failed: {handshake}");
        }
    }

    public Task SubscribeAsync(Guid run, CancellationToken ct) =>
        SendRawAsync($"{{\"type\":1,\"target\":\"SubscribeToRun\",\"arguments\":[\"{run}\",null]}}{RecordSeparator}", ct);

    /// <summary>Client pings keep the server's 30 s client timeout from closing idle connections.</summary>
    public Task PingAsync(CancellationToken ct) => SendRawAsync("{\"type\":6}" + RecordSeparator, ct);

    public async Task ReceiveLoopAsync(CancellationToken ct)
    {
        var buffer = new byte[256 * 1024];
        try
        {
            while (true)
            {
                // Whole WebSocket messages; the buffer grows for large batches.
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }

                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), ct);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var at = System.Diagnostics.Stopwatch.GetTimestamp();
                if (OnMetrics is not null && FindSeq(buffer.AsSpan(0, length)) is { } seq)
                {
                    OnMetrics(seq, at);
                }
            }
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
        }
        catch (WebSocketException)
        {
        }
    }

    /// <summary>The seq of a `metrics` invocation, read without parsing the (large) payload.</summary>
    private static long? FindSeq(ReadOnlySpan<byte> frame)
    {
        if (frame.IndexOf("\"target\":\"metrics\""u8) < 0)
        {
            return null;
        }

        var at = frame.IndexOf("\"seq\":"u8);
        if (at < 0)
        {
            return null;
        }

        long seq = 0;
        for (var i = at + 6; i < frame.Length && frame[i] is >= (byte)'0' and <= (byte)'9'; i++)
        {
            seq = (seq * 10) + (frame[i] - '0');
        }

        return seq;
    }

    public bool IsOpen => _socket.State == WebSocketState.Open;

    private async Task<string?> ReceiveMessageAsync(byte[] buffer, CancellationToken ct)
    {
        using var message = new MemoryStream();
        ValueWebSocketReceiveResult result;
        do
        {
            result = await _socket.ReceiveAsync(buffer.AsMemory(), ct);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
    }

    private async Task SendRawAsync(string text, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct);
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ct);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
