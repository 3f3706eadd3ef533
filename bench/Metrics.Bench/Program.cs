using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Metrics.Bench;
using StackExchange.Redis;

// The benchmark: ingest at several concurrencies (with the CPU each process spent per metric), a
// resent batch, the machine's physical write limit measured in the same run, reads uncached and
// cached, server memory, each target beside its figure, and a final check that the table holds
// exactly the rows acknowledged as inserted. Loopback only; every phase is bounded in time.
var o = Options.Parse(args);
var log = Console.Out;
var db = new Database(o.Db);
using var redis = await ConnectionMultiplexer.ConnectAsync(o.Redis);
var table = new List<string[]>();
var benchRuns = new ConcurrentBag<Guid>();
long acknowledged = 0;

log.WriteLine($"machine: {Environment.ProcessorCount} cores; service {o.Url} (pid {(o.Pids.Length == 0 ? "?" : string.Join(",", o.Pids))})");
await db.SeedAsync(o.SeedRows, log);
log.WriteLine($"table: ~{await db.ApproximateRowsAsync():N0} rows before ingest");
var cpu = new Cpu(o.Pids, await db.PostmasterPidAsync());

// Warm-up, not reported: under load the JIT keeps re-compiling hot code at tier 1 for 20-30 s
// (half the service's CPU then, measured with perf); the first measured phase would carry it.
await IngestAsync("warm-up", 8, 1000, report: false, forSeconds: 20);
var ingest = new Dictionary<int, Phase>();
foreach (var connections in o.Concurrency)
{
    ingest[connections] = await IngestAsync($"ingest, 1000-metric batches, {connections} conn", connections, 1000);
}

var resent = await IngestAsync("ingest, 1000-metric batches resent whole (100 % duplicates), 8 conn", 8, 1000, resend: true);
var small = await IngestAsync("ingest, 10-metric batches, 64 conn", 64, 10);
var rssAfterIngest = Stats.Rss(o.Pids);

const int LimitSessions = 2;
var limit = await db.PhysicalLimitAsync(TimeSpan.FromSeconds(o.Seconds / 2.0), 10_000, LimitSessions);
var service8 = ingest.TryGetValue(8, out var at8) ? at8.Rate : double.NaN;
table.Add([$"limit: binary COPY into a fresh table, one unique index (series_id, step, time); {LimitSessions} sessions, 10k rows/COPY", $"{limit:N0}", "", "", $"service at 8 conn / limit = {service8 / limit:P0}"]);

using var http = new HttpClient { BaseAddress = new Uri(o.Url), Timeout = TimeSpan.FromSeconds(60) };
Authorize(http);
var read = $"/api/v1/runs/{Database.ReadRun}/metrics/train%2Floss";
var reads = new Dictionary<(string, bool), (double P50, double P99)>();
const string History = "read: history, 1,000 points", Latest = "read: latest (1,000,000-point series)",
    Statistics = "read: stats (1,000,000-point series)", Downsampled = "read: downsampled to 500 (1,000,000-point series)";
foreach (var (label, url) in new[]
{
    (History, $"{read}?limit=1000"),
    (Latest, $"{read}/latest"),
    (Statistics, $"{read}/stats"),
    (Downsampled, $"{read}/downsampled?points=500"),
})
{
    reads[(label, false)] = await ReadAsync($"{label}, uncached", url, cached: false);
    reads[(label, true)] = await ReadAsync($"{label}, cached", url, cached: true);
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
log.WriteLine($"server RSS after ingest: {rssAfterIngest}; now: {Stats.Rss(o.Pids)}");

// Issue 15's targets, each beside what this run measured.
log.WriteLine();
log.WriteLine("| target | measured | met |");
log.WriteLine("| --- | ---: | --- |");
void Target(string what, double measured, string shown, bool met) =>
    log.WriteLine($"| {what} | {(double.IsNaN(measured) ? "n/a" : shown)} | {(double.IsNaN(measured) ? "not measured" : met ? "met" : "NOT met")} |");
Target("ingest at 8 conn ≥ 200,000 metrics/s", service8, $"{service8:N0}", service8 >= 200_000);
Target("ingest at 8 conn ≥ 0.6 × the same-run limit", service8 / limit, $"{service8 / limit:F2} ×", service8 / limit >= 0.6);
Target("ingest at 8 conn never below 120,000 metrics/s", service8, $"{service8:N0}", service8 >= 120_000);
Target("ingest at 8 conn p99 < 250 ms", at8?.P99 ?? double.NaN, $"{at8?.P99:F0} ms", at8?.P99 < 250);
var at1 = ingest.GetValueOrDefault(1);
Target("ingest at 1 conn ≥ 60,000 metrics/s", at1?.Rate ?? double.NaN, $"{at1?.Rate:N0}", at1?.Rate >= 60_000);
Target("service CPU ≤ 3 µs per metric (8 conn)", at8?.ServiceUs ?? double.NaN, $"{at8?.ServiceUs:F1} µs", at8?.ServiceUs <= 3);
Target("PostgreSQL CPU ≤ 5 µs per metric (8 conn)", at8?.PostgresUs ?? double.NaN, $"{at8?.PostgresUs:F1} µs", at8?.PostgresUs <= 5);
Target("a batch resent whole ≥ 100,000 metrics/s", resent.Rate, $"{resent.Rate:N0}", resent.Rate >= 100_000);
Target("10-metric batches at 64 conn ≥ 3,000 requests/s", small.Requests, $"{small.Requests:N0}", small.Requests >= 3_000);
void ReadTarget(string what, string label, bool cached, double p50, double p99)
{
    var (m50, m99) = reads[(label, cached)];
    Target(what, m50, $"{Stats.Ms(m50)} / {Stats.Ms(m99)} ms", m50 < p50 && m99 < p99);
}

ReadTarget("latest, uncached: p50 < 1 ms, p99 < 5 ms", Latest, false, 1, 5);
ReadTarget("stats, uncached: p50 < 1 ms, p99 < 5 ms", Statistics, false, 1, 5);
ReadTarget("history of 1000, uncached: p50 < 5 ms", History, false, 5, double.PositiveInfinity);
ReadTarget("downsampled to 500, uncached: p50 < 10 ms, p99 < 50 ms", Downsampled, false, 10, 50);
ReadTarget("latest, cached: p50 < 0.4 ms", Latest, true, 0.4, double.PositiveInfinity);
ReadTarget("stats, cached: p50 < 0.4 ms", Statistics, true, 0.4, double.PositiveInfinity);
var rssMiB = rssAfterIngest.EndsWith(" MiB", StringComparison.Ordinal) ? double.Parse(rssAfterIngest[..^4], CultureInfo.InvariantCulture) : double.NaN;
Target("server RSS after ingest < 300 MiB", rssMiB, rssAfterIngest, rssMiB < 300);
log.WriteLine($"verification: {acknowledged:N0} metrics acknowledged as inserted (2xx only), {stored:N0} stored for the benchmark's runs -> {(stored == acknowledged ? "exact" : "MISMATCH")}");
log.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
return stored == acknowledged ? 0 : 1;

async Task<Phase> IngestAsync(string label, int connections, int batchSize, bool resend = false, bool report = true, int? forSeconds = null)
{
    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
    using var client = new HttpClient(handler) { BaseAddress = new Uri(o.Url), Timeout = TimeSpan.FromSeconds(60) };
    Authorize(client);
    var latencies = new ConcurrentBag<double>();
    long ok = 0, inserted = 0, failed = 0;
    var before = cpu.Take();
    var clock = Stopwatch.StartNew();
    var duration = TimeSpan.FromSeconds(forSeconds ?? o.Seconds);
    await Task.WhenAll(Enumerable.Range(0, connections).Select(async worker =>
    {
        var workload = new Workload(Guid.NewGuid(), worker);
        benchRuns.Add(workload.RunId);
        var body = resend ? workload.NextBody(batchSize) : null; // the same batch every time: all but the first are duplicates
        while (clock.Elapsed < duration)
        {
            using var content = new ByteArrayContent(body ?? workload.NextBody(batchSize));
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
                    Interlocked.Add(ref inserted, ack.RootElement.GetProperty("inserted").GetInt32());
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
    var after = cpu.Take();
    Interlocked.Add(ref acknowledged, inserted);
    var sorted = latencies.Order().ToList();
    var rate = batchSize == 1000 ? $"{ok / seconds:N0}" : $"{ok / seconds:N0} ({sorted.Count / seconds:N0} req/s)";
    var row = new[]
    {
        label, rate, Stats.Ms(Stats.Percentile(sorted, 0.5)), Stats.Ms(Stats.Percentile(sorted, 0.99)),
        $"{sorted.Count:N0} ok, {failed} failed, {seconds:F0}s; {Cpu.PerMetric(before, after, ok)}",
    };
    if (report)
    {
        log.WriteLine(string.Join("  ", row));
        table.Add(row);
    }

    return new Phase(ok / seconds, sorted.Count / seconds, Stats.Percentile(sorted, 0.99),
        Cpu.Us(after.Service - before.Service, Math.Max(ok, 1)), Cpu.Us(after.Postgres - before.Postgres, Math.Max(ok, 1)));
}

async Task<(double P50, double P99)> ReadAsync(string label, string url, bool cached)
{
    var latencies = new List<double>();
    (await http.GetAsync(url)).EnsureSuccessStatusCode();
    for (var i = 0; i < o.Reads; i++)
    {
        if (!cached)
        {
            // A new cache epoch retires every entry: the next read goes to PostgreSQL.
            await redis.GetDatabase().StringSetAsync("metricservice:{cache}:epoch", Guid.NewGuid().ToString("N"));
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
    table.Add(row);
    return (Stats.Percentile(latencies, 0.5), Stats.Percentile(latencies, 0.99));
}

// ./build/bench makes a key (the service requires one, as in production) and passes it here.
static void Authorize(HttpClient client)
{
    if (Environment.GetEnvironmentVariable("METRICS_API_KEY") is { Length: > 0 } key)
    {
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
    }
}

/// <summary>One ingest phase: metrics/s, requests/s, p99 ms, and µs of CPU per metric of the service and of PostgreSQL.</summary>
internal sealed record Phase(double Rate, double Requests, double P99, double ServiceUs, double PostgresUs);

/// <param name="Pids">The service's processes (--pid 1,2,3 for several instances): their CPU is summed.</param>
internal sealed record Options(string Url, string Db, string Redis, int[] Pids, int Seconds, int Reads, long SeedRows, int[] Concurrency)
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
            [.. pid.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture))],
            int.Parse(Get("--seconds", "20"), CultureInfo.InvariantCulture),
            int.Parse(Get("--reads", "200"), CultureInfo.InvariantCulture),
            long.Parse(Get("--seed-rows", "10000000"), CultureInfo.InvariantCulture),
            Get("--concurrency", "1,4,8,16").Split(',').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray());
    }
}
