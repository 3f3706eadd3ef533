using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Metrics.Infrastructure.Configuration;
using Npgsql;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// Against ./build/cluster as ./build/test starts it (CLUSTER_* from `./build/cluster env`): 3
/// instances behind nginx, a PostgreSQL primary with a synchronous hot standby that cached reads
/// may use (READ_FROM_STANDBY), a Redis Cluster, and limits of 50 requests and 3000 metrics per
/// second and 3 live connections per key. Not in the default filter: run with Category=Cluster.
/// </summary>
[Trait("Category", "Cluster")]
public sealed class ClusterTests : IAsyncLifetime
{
    private static readonly string[] Instances = Env("CLUSTER_API_URLS").Split(',');
    private readonly HttpClient _nginx = Client(Env("CLUSTER_URL"));
    private readonly HttpClient[] _instances = [.. Instances.Select(Client)];
    private string _key = string.Empty;

    private static string Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value
        : throw new InvalidOperationException($"{name} is not set: these tests run against ./build/cluster (./build/test starts one)");

    // At most 32 requests at once per instance, as a few busy clients would send.
    private static HttpClient Client(string url) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 32 }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        // Each test class gets a key of its own, so its limits are its own.
        using var admin = Client(Env("CLUSTER_URL"));
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Env("CLUSTER_KEY"));
        var created = await (await admin.PostJsonAsync("/api/v1/admin/keys", new { name = "cluster-tests", scopes = new[] { "metrics:read", "metrics:write", "telemetry:read" } }))
            .ReadJsonAsync(HttpStatusCode.Created);
        _key = created["key"]!.GetValue<string>();
        foreach (var client in _instances.Append(_nginx))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _key);
        }
    }

    public Task DisposeAsync()
    {
        foreach (var client in _instances.Append(_nginx))
        {
            client.Dispose();
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task Writes_through_nginx_land_once_whichever_instance_takes_them()
    {
        var run = Guid.NewGuid();
        var before = await Task.WhenAll(_instances.Select(i => InsertedAsync(i)));
        for (var batch = 0; batch < 12; batch++)
        {
            var body = Batch([.. Enumerable.Range(batch * 10, 10).Select(s => Point(run, "loss", s, 1.0 / (s + 1)))]);
            var key = Guid.NewGuid().ToString();
            for (var attempt = 0; attempt < 2; attempt++) // a resend after a lost answer: the same request again
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/metrics/batch") { Content = Json(await body.ReadAsStringAsync()) };
                request.Headers.Add("Idempotency-Key", key);
                (await _nginx.SendAsync(request)).StatusCode.Should().Be(HttpStatusCode.Created);
            }
        }

        await using var db = NpgsqlDataSource.Create(ConnectionStrings.ParsePostgres(Env("CLUSTER_TIMESCALE_URL")).ConnectionString);
        await using var count = db.CreateCommand("SELECT count(*), count(DISTINCT step) FROM metrics WHERE run_id = $1");
        count.Parameters.AddWithValue(run);
        await using var rows = await count.ExecuteReaderAsync();
        await rows.ReadAsync();
        (rows.GetInt64(0), rows.GetInt64(1)).Should().Be((120L, 120L), "every point once, though each batch was sent twice");
        var after = await Task.WhenAll(_instances.Select(i => InsertedAsync(i)));
        after.Zip(before, (a, b) => a - b).Should().OnlyContain(d => d > 0, "nginx spread the batches over all three instances");
    }

    [Fact]
    public async Task A_SignalR_client_and_a_raw_WebSocket_client_on_different_instances_get_every_batch_once_in_seq_order()
    {
        var run = Guid.NewGuid();
        await using var hub = await HubProbe.ConnectAsync(_instances[0], _key);
        await hub.SubscribeAsync(run, null);
        await using var raw = await RawSocketProbe.ConnectAsync(_instances[1], run.ToString(), _key);
        await Task.Delay(200); // the raw socket follows the run once connected; its instance subscribes in Redis

        const int Batches = 15;
        for (var batch = 0; batch < Batches; batch++)
        {
            await _nginx.PostBatchAsync([.. Enumerable.Range(batch * 4, 4).Select(s => Point(run, "loss", s, 0.5))]);
        }

        var viaHub = new List<(long Seq, long[] Steps)>();
        while (viaHub.Count < Batches)
        {
            var message = await hub.NextAsync();
            viaHub.Add((message.GetProperty("seq").GetInt64(), [.. message.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("step").GetInt64())]));
        }

        var viaRaw = new List<(long Seq, long[] Steps)>();
        while (viaRaw.Count < Batches)
        {
            var message = await raw.NextAsync();
            if (message.GetProperty("type").GetString() == "metric")
            {
                var payload = message.GetProperty("payload");
                viaRaw.Add((payload.GetProperty("seq").GetInt64(), [.. payload.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("step").GetInt64())]));
            }
        }

        foreach (var received in new[] { viaHub, viaRaw })
        {
            received.SelectMany(r => r.Steps).Should().BeEquivalentTo(Enumerable.Range(0, Batches * 4).Select(s => (long)s), "every point once");
            received.Select(r => r.Seq).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
            (received[^1].Seq - received[0].Seq).Should().Be(Batches - 1, "consecutive numbers: nothing missed");
        }

        viaRaw.Select(r => r.Seq).Should().Equal(viaHub.Select(r => r.Seq), "one numbering across instances");
    }

    [Fact]
    public async Task Reads_after_a_write_are_fresh_from_any_instance_also_while_the_standby_lags_behind()
    {
        var run = Guid.NewGuid();
        var routedBefore = await RoutedAsync();
        for (var step = 1; step <= 9; step++)
        {
            await _instances[step % 3].PostBatchAsync(Point(run, "loss", step, step));
            (await _instances[(step + 1) % 3].GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest"))["step"]!.GetValue<long>().Should().Be(step);
        }

        var routed = await RoutedAsync();
        for (var wait = 0; wait < 20 && routed.Standby <= routedBefore.Standby; wait++)
        {
            await Task.Delay(250);
            routed = await RoutedAsync();
        }

        routed.Standby.Should().BeGreaterThan(routedBefore.Standby, "a standby that keeps up serves the reads");

        await using var standby = NpgsqlDataSource.Create(Env("CLUSTER_STANDBY_ADMIN"));
        await using (var pause = standby.CreateCommand("SELECT pg_wal_replay_pause()"))
        {
            await pause.ExecuteNonQueryAsync();
        }

        // A pause is only requested until replay actually stops.
        await using (var state = standby.CreateCommand("SELECT pg_get_wal_replay_pause_state()"))
        {
            while ((string)(await state.ExecuteScalarAsync())! != "paused")
            {
                await Task.Delay(20);
            }
        }

        try
        {
            var lagging = await RoutedAsync();
            for (var step = 10; step <= 15; step++)
            {
                await _instances[step % 3].PostBatchAsync(Point(run, "loss", step, step));
                (await _instances[(step + 1) % 3].GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest"))["step"]!.GetValue<long>().Should().Be(step, "the standby has not replayed it: the read goes to the primary");
                (await _instances[(step + 2) % 3].GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats"))["count"]!.GetValue<long>().Should().Be(step);
            }

            // The /metrics page is cached briefly (the exporter's scrape cache): ask until it moves.
            var primary = (await RoutedAsync()).Primary;
            for (var wait = 0; wait < 20 && primary < lagging.Primary + 12; wait++)
            {
                await Task.Delay(250);
                primary = (await RoutedAsync()).Primary;
            }

            primary.Should().BeGreaterThanOrEqualTo(lagging.Primary + 12, "every read of the run went to the primary while the standby lagged");
        }
        finally
        {
            await using var resume = standby.CreateCommand("SELECT pg_wal_replay_resume()");
            await resume.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task A_key_gets_its_request_rate_once_across_the_instances_not_once_per_instance()
    {
        // 50 per second, bursts of 100: 600 requests at once over three instances. A limit per
        // instance would let three times what a shared one does through, whatever the burst's length.
        // (A cheap read, outside the limit on concurrent expensive reads: latest of a run never written, 404.)
        // Every instance answers once first, so the burst is not spread out by a cold start.
        foreach (var instance in _instances)
        {
            (await instance.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics/loss/latest")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        var started = Stopwatch.GetTimestamp();
        var answers = await Task.WhenAll(Enumerable.Range(0, 600).Select(i => _instances[i % 3].GetAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics/loss/latest")));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var passed = answers.Count(a => a.StatusCode != HttpStatusCode.TooManyRequests);

        var shared = 100 - 3 + (50 * seconds) + 10;
        passed.Should().BeGreaterThan(80).And.BeLessThanOrEqualTo((int)shared);
        Math.Min(600, 3 * shared).Should().BeGreaterThan(shared + 100, "the burst was short enough to tell one limit from three");
        answers.Where(a => a.StatusCode != HttpStatusCode.TooManyRequests).Should().OnlyContain(a => a.StatusCode == HttpStatusCode.NotFound);
        answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).Should().OnlyContain(a => a.Headers.RetryAfter != null);
    }

    [Fact]
    public async Task A_key_gets_its_metric_rate_once_across_the_instances()
    {
        // 3000 metrics per second: nine 1000-point batches at once over three instances.
        var run = Guid.NewGuid();
        var started = Stopwatch.GetTimestamp();
        var answers = await Task.WhenAll(Enumerable.Range(0, 9).Select(b =>
            _instances[b % 3].PostAsync("/api/v1/metrics/batch", Batch([.. Enumerable.Range(b * 1000, 1000).Select(s => Point(run, "loss", s, 1))]))));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        answers.Count(a => a.StatusCode == HttpStatusCode.Created).Should().BeInRange(3, 3 + (int)(3 * seconds) + 1);
        answers.Count(a => a.StatusCode == HttpStatusCode.TooManyRequests).Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task A_key_gets_its_live_connections_once_across_the_instances()
    {
        // 3 per key: two on the first instance and one on the second leave none for the third.
        var open = new List<HubProbe> { await HubProbe.ConnectAsync(_instances[0], _key), await HubProbe.ConnectAsync(_instances[0], _key), await HubProbe.ConnectAsync(_instances[1], _key) };
        try
        {
            // A client's start can return before the server has counted the connection: ask until
            // the third instance sees all three (it must within a few seconds).
            var status = HttpStatusCode.OK;
            for (var wait = 0; wait < 40 && status != HttpStatusCode.TooManyRequests; wait++)
            {
                using var negotiate = new HttpRequestMessage(HttpMethod.Post, "/hubs/metrics/negotiate?negotiateVersion=1");
                status = (await _instances[2].SendAsync(negotiate)).StatusCode;
                await Task.Delay(status == HttpStatusCode.TooManyRequests ? 0 : 100);
            }

            status.Should().Be(HttpStatusCode.TooManyRequests, "the key has 3 open connections, though none on this instance");
            var refused = async () => open.Add(await HubProbe.ConnectAsync(_instances[2], _key));
            await refused.Should().ThrowAsync<Exception>("the key has 3 open connections, though none on this instance");

            await open[0].DisposeAsync();
            open.RemoveAt(0);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            HubProbe? another = null;
            while (another is null)
            {
                try
                {
                    another = await HubProbe.ConnectAsync(_instances[2], _key);
                }
                catch (Exception) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(250);
                }
            }

            open.Add(another);
        }
        finally
        {
            foreach (var probe in open)
            {
                await probe.DisposeAsync();
            }
        }
    }

    private static async Task<long> InsertedAsync(HttpClient instance) =>
        (long)Series(await instance.GetStringAsync("/metrics"), "metricservice_metrics_ingested_total", "outcome=\"inserted\"");

    private async Task<(double Primary, double Standby)> RoutedAsync()
    {
        var pages = await Task.WhenAll(_instances.Select(i => i.GetStringAsync("/metrics")));
        return (pages.Sum(p => Series(p, "metricservice_reads_routed_total", "target=\"primary\"")),
                pages.Sum(p => Series(p, "metricservice_reads_routed_total", "target=\"standby\"")));
    }

    // A Prometheus text page's value of one series (0 when absent).
    private static double Series(string page, string name, string label) =>
        page.Split('\n').Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains(label, StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
}
