using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Metrics.Bench;
using Npgsql;
using StackExchange.Redis;

// The issue-4 benchmark: ingest at several concurrencies, the COPY limit measured in the same run,
// reads uncached and cached, server memory, and a final check that the table holds exactly the
// acknowledged rows. Loopback only; every phase is bounded in time.
var o = Options.Parse(args);
var log = Console.Out;
var db = new Database(o.Db);
using var redis = await ConnectionMultiplexer.ConnectAsync(o.Redis);
var table = new List<string[]>();
var benchRuns = new ConcurrentBag<Guid>();
long acknowledged = 0;

log.WriteLine($"machine: {Environment.ProcessorCount} cores; service {o.Url} (pid {o.Pid?.ToString(CultureInfo.InvariantCulture) ?? "?"})");
await db.SeedAsync(o.SeedRows, log);
log.WriteLine($"table: ~{await db.ApproximateRowsAsync():N0} rows before ingest");

foreach (var connections in o.Concurrency)
{
    table.Add(await IngestAsync($"ingest, 1000-metric batches, {connections} conn", connections, 1000));
}

table.Add(await IngestAsync("ingest, 10-metric batches, 64 conn", 64, 10));
var rssAfterIngest = Stats.Rss(o.Pid);

var copyRuns = new List<Guid>();
var limit = await db.CopyLimitAsync(TimeSpan.FromSeconds(o.Seconds / 2.0), 20_000, copyRuns);
var best8 = table.FirstOrDefault(r => r[0].EndsWith(" 8 conn", StringComparison.Ordinal));
var service8 = best8 is null ? double.NaN : double.Parse(best8[1].Replace(",", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);
table.Add(["limit: binary COPY into the same table (1 stream, 20k rows/COPY)", $"{limit:N0}", "", "", $"service at 8 conn / limit = {service8 / limit:P0}"]);

using var http = new HttpClient { BaseAddress = new Uri(o.Url), Timeout = TimeSpan.FromSeconds(60) };
Authorize(http);
var read = $"/api/v1/runs/{Database.ReadRun}/metrics/train%2Floss";
foreach (var (label, url) in new[]
{
    ("read: history, 1,000 points", $"{read}?limit=1000"),
    ("read: latest (1,000,000-point series)", $"{read}/latest"),
    ("read: stats (1,000,000-point series)", $"{read}/stats"),
    ("read: downsampled to 500 (1,000,000-point series)", $"{read}/downsampled?points=500"),
})
{
    table.Add(await ReadAsync($"{label}, uncached", url, cached: false));
    table.Add(await ReadAsync($"{label}, cached", url, cached: true));
}

var stored = await db.CountAsync(benchRuns.ToArray());
log.WriteLine();
log.WriteLine("| phase | metrics/s (or rows/s) | p50 ms | p99 ms | notes |");
log.WriteLine("| --- | ---: | ---: | ---: | --- |");
foreach (var row in table)
{
    log.WriteLine($"| {string.Join(" | ", row)} |");
}

log.WriteLine();
log.WriteLine($"server RSS after ingest: {rssAfterIngest}; now: {Stats.Rss(o.Pid)}");
log.WriteLine($"verification: {acknowledged:N0} metrics acknowledged (2xx only), {stored:N0} stored for the benchmark's runs -> {(stored == acknowledged ? "exact" : "MISMATCH")}");
log.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
return stored == acknowledged ? 0 : 1;

async Task<string[]> IngestAsync(string label, int connections, int batchSize)
{
    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
    using var client = new HttpClient(handler) { BaseAddress = new Uri(o.Url), Timeout = TimeSpan.FromSeconds(60) };
    Authorize(client);
    var latencies = new ConcurrentBag<double>();
    long ok = 0, failed = 0;
    var clock = Stopwatch.StartNew();
    var duration = TimeSpan.FromSeconds(o.Seconds);
    await Task.WhenAll(Enumerable.Range(0, connections).Select(async worker =>
    {
        var workload = new Workload(Guid.NewGuid(), worker);
        benchRuns.Add(workload.RunId);
        while (clock.Elapsed < duration)
        {
            using var content = new ByteArrayContent(workload.NextBody(batchSize));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await client.PostAsync("/api/v1/metrics/batch", content);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    using var ack = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
                    Interlocked.Add(ref ok, ack.RootElement.GetProperty("count").GetInt32());
                    latencies.Add(elapsed);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                }
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref failed);
            }
        }
    }));

    var seconds = clock.Elapsed.TotalSeconds;
    Interlocked.Add(ref acknowledged, ok);
    var sorted = latencies.Order().ToList();
    var rate = batchSize == 1000 ? $"{ok / seconds:N0}" : $"{ok / seconds:N0} ({sorted.Count / seconds:N0} req/s)";
    var row = new[] { label, rate, Stats.Ms(Stats.Percentile(sorted, 0.5)), Stats.Ms(Stats.Percentile(sorted, 0.99)), $"{sorted.Count:N0} ok, {failed} failed, {seconds:F0}s" };
    log.WriteLine(string.Join("  ", row));
    return row;
}

async Task<string[]> ReadAsync(string label, string url, bool cached)
{
    var latencies = new List<double>();
    (await http.GetAsync(url)).EnsureSuccessStatusCode();
    for (var i = 0; i < o.Reads; i++)
    {
        if (!cached)
        {
            // A new cache epoch retires every entry: the next read goes to PostgreSQL.
            await redis.GetDatabase().StringSetAsync("ms:epoch", Guid.NewGuid().ToString("N"));
        }

        var started = Stopwatch.GetTimestamp();
        using var response = await http.GetAsync(url);
        await response.Content.ReadAsByteArrayAsync();
        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        response.EnsureSuccessStatusCode();
    }

    latencies.Sort();
    var row = new[] { label, "", Stats.Ms(Stats.Percentile(latencies, 0.5)), Stats.Ms(Stats.Percentile(latencies, 0.99)), $"{o.Reads} requests" };
    log.WriteLine(string.Join("  ", row));
    return row;
}

// ./build/bench makes a key (the service requires one, as in production) and passes it here.
static void Authorize(HttpClient client)
{
    if (Environment.GetEnvironmentVariable("METRICS_API_KEY") is { Length: > 0 } key)
    {
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
    }
}

internal sealed record Options(string Url, string Db, string Redis, int? Pid, int Seconds, int Reads, long SeedRows, int[] Concurrency)
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
            Get("--url", "http://127.0.0.1:8012"),
            Get("--db", "Host=127.0.0.1;Port=55432;Database=metrics_bench;Username=metrics;Password=metrics"),
            Get("--redis", "127.0.0.1:56379"),
            pid.Length > 0 ? int.Parse(pid, CultureInfo.InvariantCulture) : null,
            int.Parse(Get("--seconds", "20"), CultureInfo.InvariantCulture),
            int.Parse(Get("--reads", "200"), CultureInfo.InvariantCulture),
            long.Parse(Get("--seed-rows", "3000000"), CultureInfo.InvariantCulture),
            Get("--concurrency", "1,4,8,16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray());
    }
}
