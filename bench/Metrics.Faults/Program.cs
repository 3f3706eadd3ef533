// The fault suite (issue 7), run by ./build/faults on loopback only, bounded in time.
// Writers post batches with an Idempotency-Key and resend the same request on 5xx, 429, 409 and
// connection errors until it is acknowledged, recording every acknowledged point. Meanwhile the
// API is killed with SIGKILL 5 times (and restarted), PostgreSQL is stopped for 20 s (immediate
// mode: a crash), and Redis for 30 s. Then every acknowledged point is looked up in the database.
// With --cluster (./build/faults --cluster, issue 19) the writers go through nginx to the 3 instances
// of ./build/cluster, two raw WebSocket clients follow a writer's run through nginx, and the faults
// are: each API instance SIGKILLed in turn, the Redis master of that run's slot SIGKILLed, and the
// PostgreSQL primary stopped (immediate) with the standby promoted.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Npgsql;

var o = Options.Parse(args);
using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(6)); // a hard bound on the whole run
var api = new ApiProcess(o);
var runPrefix = Guid.NewGuid().ToString("N")[..8];
var stats = new Stats();
var acknowledged = new ConcurrentDictionary<(Guid Run, long Step), bool>();

if (o.Cluster is null)
{
    api.Start();
}

await WaitHealthyAsync(TimeSpan.FromSeconds(60), deadline.Token);
Console.WriteLine($"service up on {o.Url}; writers: {o.Writers}, batches of {o.BatchSize}");

using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
var writers = Enumerable.Range(0, o.Writers).Select(w => WriteAsync(w, stopWriting.Token)).ToList();
var recoveries = new List<(string Fault, double Seconds)>();
var watchers = o.Cluster is null ? [] : Enumerable.Range(0, 2).Select(_ => new LiveWatcher(o.Url, o.Key, RunOf(0))).ToList();
var watching = watchers.Select(w => w.RunAsync(stopWriting.Token)).ToList();

await Task.Delay(TimeSpan.FromSeconds(3), deadline.Token);
if (o.Cluster is { } cluster)
{
    for (var n = 1; n <= 3; n++)
    {
        await ShellAsync($"{cluster} kill-api {n}");
        var killed = Stopwatch.GetTimestamp();
        var served = await SecondsToHealthyAsync(killed, deadline.Token); // nginx moves on to the others
        recoveries.Add(($"API {n} SIGKILL", Math.Max(served, await SecondsToServingAsync(killed, deadline.Token))));
        await Task.Delay(TimeSpan.FromSeconds(2), deadline.Token);
        await ShellAsync($"{cluster} start-api {n}");
        await Task.Delay(TimeSpan.FromSeconds(3), deadline.Token);
    }

    await ShellAsync($"{cluster} kill-redis-master 'metricservice:live:{{{RunOf(0):N}}}:seq'");
    var redisKilled = Stopwatch.GetTimestamp();
    recoveries.Add(("Redis master SIGKILL", Math.Max(await SecondsToHealthyAsync(redisKilled, deadline.Token), await SecondsToServingAsync(redisKilled, deadline.Token))));
    await Task.Delay(TimeSpan.FromSeconds(3), deadline.Token);
    await ShellAsync($"{cluster} start-redis"); // it rejoins as a replica
    await Task.Delay(TimeSpan.FromSeconds(3), deadline.Token);

    await ShellAsync($"{cluster} failover-pg");
    var promoted = Stopwatch.GetTimestamp();
    recoveries.Add(("PostgreSQL failover", Math.Max(await SecondsToHealthyAsync(promoted, deadline.Token), await SecondsToServingAsync(promoted, deadline.Token))));
    await Task.Delay(TimeSpan.FromSeconds(5), deadline.Token);
}

for (var i = 1; i <= (o.Cluster is null ? 5 : 0); i++)
{
    api.Kill();
    var killed = Stopwatch.GetTimestamp();
    await Task.Delay(TimeSpan.FromMilliseconds(500), deadline.Token);
    api.Start();
    recoveries.Add(($"API SIGKILL {i}", await SecondsToHealthyAsync(killed, deadline.Token)));
    await Task.Delay(TimeSpan.FromSeconds(3), deadline.Token);
}

if (o.Cluster is null)
{
    await ShellAsync(o.PgStop);
    var pgDown = Stopwatch.GetTimestamp();
    await Task.Delay(TimeSpan.FromSeconds(20), deadline.Token);
    await ShellAsync(o.PgStart);
    recoveries.Add(("PostgreSQL down 20 s", await SecondsToHealthyAsync(Stopwatch.GetTimestamp(), deadline.Token)));
    _ = pgDown;
    await Task.Delay(TimeSpan.FromSeconds(3), deadline.Token);

    await ShellAsync(o.RedisStop);
    await Task.Delay(TimeSpan.FromSeconds(30), deadline.Token);
    await ShellAsync(o.RedisStart);
    recoveries.Add(("Redis down 30 s", await SecondsToHealthyAsync(Stopwatch.GetTimestamp(), deadline.Token)));
    await Task.Delay(TimeSpan.FromSeconds(3), deadline.Token);
}

await stopWriting.CancelAsync();
await Task.WhenAll(writers);
await Task.WhenAll(watching);

// What the database holds for the writers' runs.
await using var db = NpgsqlDataSource.Create(o.Db);
var stored = new HashSet<(Guid, long)>();
long rows = 0;
await using (var command = db.CreateCommand("SELECT run_id, step FROM metrics WHERE run_id = ANY(@runs)"))
{
    command.Parameters.AddWithValue("runs", Enumerable.Range(0, o.Writers).Select(RunOf).ToArray());
    await using var reader = await command.ExecuteReaderAsync(deadline.Token);
    while (await reader.ReadAsync(deadline.Token))
    {
        rows++;
        stored.Add((reader.GetGuid(0), reader.GetInt64(1)));
    }
}

var lost = acknowledged.Keys.Count(k => !stored.Contains(k));
var duplicated = rows - stored.Count;
var unacknowledged = stored.Count(k => !acknowledged.ContainsKey(k));
var retryable = stats.Http503WithRetryAfter + stats.Http429WithRetryAfter;
var httpFailures = stats.HttpFailures;
Console.WriteLine();
Console.WriteLine($"acknowledged:  {acknowledged.Count:N0} points in {stats.Batches:N0} batches ({stats.Replayed:N0} answers replayed for an Idempotency-Key)");
Console.WriteLine($"stored:        {stored.Count:N0}");
Console.WriteLine($"lost:          {lost:N0} (acknowledged but missing)");
Console.WriteLine($"duplicated:    {duplicated:N0} (rows beyond one per point)");
Console.WriteLine($"unacknowledged:{unacknowledged,4:N0} (stored, answer never received: a batch in flight at the end)");
Console.WriteLine($"failed tries:  {httpFailures:N0} HTTP error answers, {retryable:N0} of them 503/429 with Retry-After ({(httpFailures == 0 ? 1 : (double)retryable / httpFailures):P0}); "
    + $"{stats.Conflicts:N0} 409 (same key in progress); {stats.ConnectionErrors:N0} connection errors (API down)");
Console.WriteLine($"other answers: {string.Join(", ", stats.Other.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}"))}");
foreach (var (fault, seconds) in recoveries)
{
    Console.WriteLine(o.Cluster is null
        ? $"recovery:      {fault,-22} healthy again after {seconds:F1} s"
        : $"recovery:      {fault,-22} healthy, writing and streaming again after {seconds:F1} s");
}

foreach (var (watcher, i) in watchers.Select((w, i) => (w, i + 1)))
{
    Console.WriteLine($"live client {i}:  {watcher.Batches:N0} batches, {watcher.Points:N0} points; {watcher.OutOfOrder} out of order or repeated seq, "
        + $"{watcher.RepeatedPoints} points twice; reconnected {watcher.Reconnects} times, the longest after {watcher.LongestGap.TotalSeconds:F1} s");
}

var liveOk = watchers.All(w => w.OutOfOrder == 0 && w.RepeatedPoints == 0 && w.Batches > 0 && w.Connected && w.LongestGap < TimeSpan.FromSeconds(10));
var ok = lost == 0 && duplicated == 0 && recoveries.All(r => r.Seconds <= 10) && stats.Other.IsEmpty && acknowledged.Count > 0 && liveOk;
Console.WriteLine(ok ? $"PASS: nothing lost, nothing duplicated, healthy within 10 s of every fault{(watchers.Count > 0 ? ", live clients reconnected and in order" : "")}" : "FAIL");
api.Kill();
return ok ? 0 : 1;

Guid RunOf(int writer) => Guid.Parse($"{runPrefix}-fa17-4000-8000-{writer:D12}");

async Task WriteAsync(int writer, CancellationToken stop)
{
    using var http = new HttpClient { BaseAddress = new Uri(o.Url), Timeout = TimeSpan.FromSeconds(30) };
    http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", o.Key);
    var run = RunOf(writer);
    long step = 0;
    while (!stop.IsCancellationRequested)
    {
        var points = Enumerable.Range(0, o.BatchSize).Select(i => step + i).ToArray();
        step += o.BatchSize;
        var body = JsonSerializer.Serialize(new
        {
            metrics = points.Select(s => new { run_id = run, metric_name = "loss", step = s, value = 1.0 / (s + 1), time = DateTime.UnixEpoch.AddSeconds(1_700_000_000 + s) }),
        });
        var key = Guid.NewGuid().ToString();
        // Once sent, a batch is resent until acknowledged (within the run's hard deadline): that is the contract under test.
        while (!deadline.IsCancellationRequested)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/metrics/batch") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Idempotency-Key", key);
            TimeSpan wait;
            try
            {
                using var response = await http.SendAsync(request, deadline.Token);
                if (response.IsSuccessStatusCode)
                {
                    foreach (var s in points)
                    {
                        acknowledged[(run, s)] = true;
                    }

                    Interlocked.Increment(ref stats.Batches);
                    Interlocked.Exchange(ref stats.LastAckAt, Stopwatch.GetTimestamp());
                    if (response.Headers.Contains("Idempotent-Replayed"))
                    {
                        Interlocked.Increment(ref stats.Replayed);
                    }

                    break;
                }

                var retryAfter = response.Headers.RetryAfter?.Delta;
                switch (response.StatusCode)
                {
                    case HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests:
                        Interlocked.Increment(ref stats.HttpFailures);
                        if (retryAfter is not null)
                        {
                            Interlocked.Increment(ref response.StatusCode == HttpStatusCode.TooManyRequests ? ref stats.Http429WithRetryAfter : ref stats.Http503WithRetryAfter);
                        }

                        break;
                    case HttpStatusCode.Conflict:
                        Interlocked.Increment(ref stats.Conflicts);
                        break;
                    case HttpStatusCode.BadGateway:
                        // The load balancer's: the instance died with the request in flight.
                        Interlocked.Increment(ref stats.ConnectionErrors);
                        break;
                    default:
                        Interlocked.Increment(ref stats.HttpFailures);
                        stats.Other.AddOrUpdate((int)response.StatusCode, 1, (_, n) => n + 1);
                        break;
                }

                wait = TimeSpan.FromSeconds(Math.Min(2, retryAfter?.TotalSeconds ?? 0.5));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !deadline.IsCancellationRequested)
            {
                Interlocked.Increment(ref stats.ConnectionErrors);
                wait = TimeSpan.FromMilliseconds(200);
            }

            await Task.Delay(wait, deadline.Token);
        }
    }
}

// In the cluster, /health answers from whichever instance nginx picks: recovery is also a write
// acknowledged and a live batch received by every live client after the fault.
async Task<double> SecondsToServingAsync(long since, CancellationToken ct)
{
    while (Interlocked.Read(ref stats.LastAckAt) <= since || watchers.Any(w => w.LastBatchAt <= since))
    {
        if (Stopwatch.GetElapsedTime(since) > TimeSpan.FromSeconds(60))
        {
            return 60;
        }

        await Task.Delay(50, ct);
    }

    return Stopwatch.GetElapsedTime(since).TotalSeconds;
}

async Task<double> SecondsToHealthyAsync(long since, CancellationToken ct)
{
    await WaitHealthyAsync(TimeSpan.FromSeconds(60), ct);
    return Stopwatch.GetElapsedTime(since).TotalSeconds;
}

async Task WaitHealthyAsync(TimeSpan patience, CancellationToken ct)
{
    using var http = new HttpClient { BaseAddress = new Uri(o.Url), Timeout = TimeSpan.FromSeconds(2) };
    var started = Stopwatch.GetTimestamp();
    while (Stopwatch.GetElapsedTime(started) < patience)
    {
        try
        {
            var health = await http.GetStringAsync("/health", ct);
            if (health.Contains("\"status\":\"healthy\"", StringComparison.Ordinal))
            {
                return;
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
        }

        await Task.Delay(100, ct);
    }

    throw new TimeoutException($"the service was not healthy within {patience.TotalSeconds} s");
}

async Task ShellAsync(string command)
{
    using var process = Process.Start(new ProcessStartInfo("/bin/bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
    await process.WaitForExitAsync(deadline.Token);
}

internal sealed class Stats
{
    public long Batches;
    public long LastAckAt;
    public long Replayed;
    public long HttpFailures;
    public long Http503WithRetryAfter;
    public long Http429WithRetryAfter;
    public long Conflicts;
    public long ConnectionErrors;

    public ConcurrentDictionary<int, int> Other { get; } = new();
}

/// <summary>The service as a child process (Release build, production settings), killed with SIGKILL.</summary>
internal sealed class ApiProcess(Options o)
{
    private Process? _process;

    public void Start()
    {
        var start = new ProcessStartInfo("dotnet", ["Metrics.Api.dll"])
        {
            WorkingDirectory = o.ApiDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["TIMESCALE_URL"] = o.Db;
        start.Environment["REDIS_URL"] = o.Redis;
        start.Environment["PORT"] = new Uri(o.Url).Port.ToString(CultureInfo.InvariantCulture);
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        _process = Process.Start(start)!;
        var log = File.AppendText(o.Log);
        log.AutoFlush = true;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>SIGKILL: no shutdown, no flushing; what was acknowledged must already be committed.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }
}

internal sealed record Options(string Url, string Db, string Redis, string Key, string ApiDir, string Log, string PgStop, string PgStart, string RedisStop, string RedisStart, int Writers, int BatchSize, string? Cluster)
{
    public static Options Parse(string[] args)
    {
        string Get(string name, string? fallback = null)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback ?? throw new ArgumentException($"{name} is required");
        }

        // --cluster SCRIPT: the faults are SCRIPT's commands (./build/cluster), not the single-instance ones.
        var cluster = Array.IndexOf(args, "--cluster") >= 0 ? Get("--cluster") : null;
        return new Options(
            Get("--url"), Get("--db"), Get("--redis", string.Empty), Get("--key"), Get("--api-dir", string.Empty), Get("--log", string.Empty),
            Get("--pg-stop", string.Empty), Get("--pg-start", string.Empty), Get("--redis-stop", string.Empty), Get("--redis-start", string.Empty),
            int.Parse(Get("--writers", "4"), CultureInfo.InvariantCulture), int.Parse(Get("--batch", "200"), CultureInfo.InvariantCulture), cluster);
    }
}
