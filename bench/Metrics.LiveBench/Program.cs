using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Metrics.LiveBench;

// Sizing of live delivery on one instance:
//   1. hold --idle SignalR subscribers (to one run), report connections held and server RSS;
//   2. with --subscribers on another run, write --batches batches of --batch-size metrics and
//      report the write→receive latency (POST start → event fully received) p50/p99; batches
//      go back to back unless --interval-ms paces them.
// Loopback only; every loop is bounded in count and time.
var options = Options.Parse(args);
var baseUri = new Uri(options.Url);
// ./build/bench-live makes a key (the service requires one, as in production) and passes it here.
var key = Environment.GetEnvironmentVariable("METRICS_API_KEY");
var hubUri = new UriBuilder(new Uri(baseUri, "/hubs/metrics"))
{
    Scheme = baseUri.Scheme == "https" ? "wss" : "ws",
    Query = key is { Length: > 0 } ? $"access_token={Uri.EscapeDataString(key)}" : string.Empty,
}.Uri;
using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(60) };
if (key is { Length: > 0 })
{
    http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
}
using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(15));
var ct = stop.Token;

Console.WriteLine($"server: {options.Url} (pid {options.ServerPid?.ToString(CultureInfo.InvariantCulture) ?? "?"}), RSS before: {Rss(options.ServerPid)}");

// Phase 1: idle subscribers.
var idleRun = Guid.NewGuid();
var idle = new ConcurrentBag<SignalRSocket>();
var failures = 0;
var clock = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, options.Idle), new ParallelOptions { MaxDegreeOfParallelism = 100, CancellationToken = ct }, async (_, token) =>
{
    var socket = new SignalRSocket();
    try
    {
        await socket.ConnectAsync(hubUri, token);
        await socket.SubscribeAsync(idleRun, token);
        idle.Add(socket);
    }
    catch (Exception)
    {
        Interlocked.Increment(ref failures);
        await socket.DisposeAsync();
    }
});
var connectSeconds = clock.Elapsed.TotalSeconds;
var idleReceived = 0;
foreach (var socket in idle)
{
    socket.OnMetrics = (_, _) => Interlocked.Increment(ref idleReceived);
    _ = socket.ReceiveLoopAsync(ct);
}

// Each client pings every 10 s, spread evenly over the interval as independent clients would.
var idleList = idle.ToArray();
using var pinger = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
_ = Task.Run(async () =>
{
    for (var tick = 0; await pinger.WaitForNextTickAsync(ct); tick = (tick + 1) % 100)
    {
        for (var i = tick; i < idleList.Length; i += 100)
        {
            _ = idleList[i].PingAsync(ct).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}, ct);

// Held means: still open after a quiet period longer than the server's client timeout (30 s),
// and receiving a batch written to their run.
await Task.Delay(TimeSpan.FromSeconds(options.HoldSeconds), ct);
await PostAsync(idleRun, 0, 10);
var deadline = Stopwatch.StartNew();
while (idleReceived < idle.Count && deadline.Elapsed < TimeSpan.FromSeconds(30))
{
    await Task.Delay(100, ct);
}

var rssIdle = Rss(options.ServerPid);
Console.WriteLine($"idle: {idle.Count} connected in {connectSeconds:F1}s ({failures} failed), {idle.Count(s => s.IsOpen)} open after {options.HoldSeconds}s, {idleReceived} received a write; server RSS {rssIdle}");

// Phase 2: latency with active subscribers while idle ones stay connected.
var hotRun = Guid.NewGuid();
var sentAt = new ConcurrentDictionary<long, long>();
var latencies = new ConcurrentBag<double>();
var hot = new List<SignalRSocket>();
for (var i = 0; i < options.Subscribers; i++)
{
    var socket = new SignalRSocket();
    await socket.ConnectAsync(hubUri, ct);
    socket.OnMetrics = (seq, at) =>
    {
        if (sentAt.TryGetValue(seq, out var start))
        {
            latencies.Add(Stopwatch.GetElapsedTime(start, at).TotalMilliseconds);
        }
    };
    await socket.SubscribeAsync(hotRun, ct);
    _ = socket.ReceiveLoopAsync(ct);
    hot.Add(socket);
}

await Task.Delay(500, ct);
clock.Restart();
for (var b = 1; b <= options.Batches; b++)
{
    // A fresh run's seq starts at 1, so batch b is announced with seq b.
    var started = Stopwatch.GetTimestamp();
    sentAt[b] = started;
    await PostAsync(hotRun, (b - 1) * options.BatchSize, options.BatchSize);
    var rest = TimeSpan.FromMilliseconds(options.IntervalMs) - Stopwatch.GetElapsedTime(started);
    if (rest > TimeSpan.Zero)
    {
        await Task.Delay(rest, ct);
    }
}

var writeSeconds = clock.Elapsed.TotalSeconds;
deadline.Restart();
var expected = options.Batches * options.Subscribers;
while (latencies.Count < expected && deadline.Elapsed < TimeSpan.FromSeconds(30))
{
    await Task.Delay(100, ct);
}

var sorted = latencies.Order().ToArray();
Console.WriteLine($"latency: {options.Subscribers} subscribers, {options.Batches} batches x {options.BatchSize} metrics " +
    $"({(options.IntervalMs > 0 ? $"one per {options.IntervalMs} ms" : "back to back")}) written in {writeSeconds:F1}s " +
    $"({options.Batches * options.BatchSize / writeSeconds:F0} metrics/s); {sorted.Length}/{expected} deliveries; " +
    $"write->receive p50 {Percentile(sorted, 0.50):F1} ms, p99 {Percentile(sorted, 0.99):F1} ms, max {sorted.LastOrDefault():F1} ms");
Console.WriteLine($"server RSS after: {Rss(options.ServerPid)}; load average: {File.ReadAllText("/proc/loadavg").Trim()}");

await stop.CancelAsync();
foreach (var socket in idle.Concat(hot))
{
    await socket.DisposeAsync();
}

return sorted.Length == expected && idleReceived == idle.Count && failures == 0 ? 0 : 1;

async Task PostAsync(Guid run, int firstStep, int count)
{
    var metrics = Enumerable.Range(firstStep, count).Select(step => new
    {
        run_id = run,
        metric_name = $"metric_{step % 20}",
        step = (long)step,
        value = Math.Sin(step) * 10,
        time = DateTime.UtcNow,
    });
    var response = await http.PostAsJsonAsync("/api/v1/metrics/batch", new { metrics }, ct);
    response.EnsureSuccessStatusCode();
}

static string Rss(int? pid)
{
    if (pid is null || !File.Exists($"/proc/{pid}/status"))
    {
        return "n/a";
    }

    var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return line is null ? "n/a" : $"{long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024} MiB";
}

static double Percentile(double[] sorted, double p) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

internal sealed record Options(string Url, int Idle, int Subscribers, int Batches, int BatchSize, int HoldSeconds, int IntervalMs, int? ServerPid)
{
    public static Options Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }

        var pid = Get("--pid", string.Empty);
        return new Options(
            Get("--url", "http://localhost:8001"),
            int.Parse(Get("--idle", "10000"), CultureInfo.InvariantCulture),
            int.Parse(Get("--subscribers", "100"), CultureInfo.InvariantCulture),
            int.Parse(Get("--batches", "50"), CultureInfo.InvariantCulture),
            int.Parse(Get("--batch-size", "1000"), CultureInfo.InvariantCulture),
            int.Parse(Get("--hold", "35"), CultureInfo.InvariantCulture),
            int.Parse(Get("--interval-ms", "0"), CultureInfo.InvariantCulture),
            pid.Length > 0 ? int.Parse(pid, CultureInfo.InvariantCulture) : null);
    }
}
