using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;

/// <summary>
/// A raw WebSocket client following one run through the load balancer, reconnecting when its
/// instance goes away. Records whether each connection's sequence numbers only ever increase, and
/// whether any point arrives twice.
/// </summary>
internal sealed class LiveWatcher(string url, string key, Guid run)
{
    private readonly HashSet<long> _steps = [];
    private long _lastSeq;

    public long Batches { get; private set; }

    public long Points { get; private set; }

    public long OutOfOrder { get; private set; }

    public long RepeatedPoints { get; private set; }

    public int Reconnects { get; private set; }

    public bool Connected { get; private set; }

    public TimeSpan LongestGap { get; private set; }

    /// <summary>When the last batch arrived (a Stopwatch timestamp).</summary>
    public long LastBatchAt { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        var uri = new Uri(new Uri(url.Replace("http", "ws", StringComparison.Ordinal)), $"/ws/metrics/{run}");
        long? lostAt = null;
        while (!stop.IsCancellationRequested)
        {
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", $"Bearer {key}");
            try
            {
                await socket.ConnectAsync(uri, stop);
                Connected = true;
                if (lostAt is { } since)
                {
                    Reconnects++;
                    LongestGap = TimeSpan.FromTicks(Math.Max(LongestGap.Ticks, Stopwatch.GetElapsedTime(since).Ticks));
                    lostAt = null;
                }

                var buffer = new byte[1 << 20];
                while (!stop.IsCancellationRequested)
                {
                    var length = 0;
                    ValueWebSocketReceiveResult received;
                    do
                    {
                        received = await socket.ReceiveAsync(buffer.AsMemory(length), stop);
                        length += received.Count;
                    }
                    while (!received.EndOfMessage && length < buffer.Length);

                    if (received.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }

                    Record(buffer.AsSpan(0, length));
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return; // the run is over, connected or not
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException or JsonException)
            {
            }

            Connected = false;
            lostAt ??= Stopwatch.GetTimestamp();
            if (!stop.IsCancellationRequested)
            {
                await Task.Delay(200, CancellationToken.None);
            }
        }
    }

    private void Record(ReadOnlySpan<byte> frame)
    {
        using var message = JsonDocument.Parse(frame.ToArray());
        if (message.RootElement.GetProperty("type").GetString() != "metric")
        {
            return;
        }

        var payload = message.RootElement.GetProperty("payload");
        var seq = payload.GetProperty("seq").GetInt64();
        if (seq <= _lastSeq)
        {
            OutOfOrder++;
        }

        _lastSeq = Math.Max(_lastSeq, seq);
        Batches++;
        LastBatchAt = Stopwatch.GetTimestamp();
        foreach (var point in payload.GetProperty("metrics").EnumerateArray())
        {
            Points++;
            if (!_steps.Add(point.GetProperty("step").GetInt64()))
            {
                RepeatedPoints++;
            }
        }
    }
}
