using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.TestHost;
using OpenTelemetry.Trace;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>/metrics (Prometheus) and traces (issue 8). Other hosts in this process share the meter's name, so counts are compared as at least.</summary>
[Collection(ApiCollection.Name)]
public sealed partial class TelemetryTests
{
    [Fact]
    public async Task Metrics_exposes_the_services_own_series_and_they_move_with_writes_cache_hits_rejections_and_live_connections()
    {
        await using var api = new ApiFactory(kestrel: true);
        var client = api.CreateClient();
        var run = Guid.NewGuid();
        var before = await ScrapeAsync(client);

        await client.PostBatchAsync(Point(run, "loss", 1, 0.5), Point(run, "loss", 2, 0.25), Point(run, "loss", 3, 0.125));
        await client.PostBatchAsync(Point(run, "loss", 1, 0.5), Point(run, "loss", 2, 0.25), Point(run, "loss", 3, 0.125));
        await client.PostAsync("/api/v1/metrics/batch", Batch(Point(run, "loss", -1, 0.5), Point(run, "loss", 5, 0.5)));
        await client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats");
        await client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats");
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(client.BaseAddress!.ToString().Replace("http", "ws", StringComparison.Ordinal) + $"ws/metrics/{run}"), CancellationToken.None);

        var after = await ScrapeAsync(client, until: s => Value(s, "metricservice_live_connections", "protocol=\"websocket\"") >= 1);
        double Delta(string name, string label) => Value(after, name, label) - Value(before, name, label);
        Delta("metricservice_metrics_ingested_total", "outcome=\"inserted\"").Should().BeGreaterThanOrEqualTo(3);
        Delta("metricservice_metrics_ingested_total", "outcome=\"duplicate\"").Should().BeGreaterThanOrEqualTo(3);
        Delta("metricservice_metrics_ingested_total", "outcome=\"rejected\"").Should().BeGreaterThanOrEqualTo(2);
        Delta("metricservice_cache_lookups_total", "result=\"hit\"").Should().BeGreaterThanOrEqualTo(1);
        Delta("metricservice_cache_lookups_total", "result=\"miss\"").Should().BeGreaterThanOrEqualTo(1);
        Delta("metricservice_batch_size_count", string.Empty).Should().BeGreaterThanOrEqualTo(2);
        Delta("metricservice_write_duration_seconds_count", "stage=\"database\"").Should().BeGreaterThanOrEqualTo(2);
        Delta("metricservice_write_duration_seconds_count", "stage=\"total\"").Should().BeGreaterThanOrEqualTo(2);
        Value(after, "metricservice_live_connections", "protocol=\"websocket\"").Should().BeGreaterThanOrEqualTo(1);
        after.Should().Contain("http_server_request_duration_seconds_bucket").And.Contain("# TYPE metricservice_metrics_ingested_total counter");
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task A_batch_writes_trace_holds_the_http_mediator_and_database_spans()
    {
        var spans = new List<Activity>();
        await using var api = new ApiFactory(settings: new Dictionary<string, string> { ["TRACING"] = "on" });
        var client = api.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(spans)))).CreateClient();

        // Activity listeners are process-wide, so other hosts' requests are exported here too: this
        // request carries its own trace id, and only that trace is looked at.
        var traceId = ActivityTraceId.CreateRandom();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/metrics/batch") { Content = Batch(Point(Guid.NewGuid(), "loss", 1, 0.5)) };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        (await client.SendAsync(request)).EnsureSuccessStatusCode();

        Activity? http = null;
        for (var wait = Stopwatch.StartNew(); http is null && wait.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(100))
        {
            lock (spans)
            {
                http = spans.FirstOrDefault(a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == traceId);
            }
        }

        http.Should().NotBeNull("the HTTP server span is exported");
        List<Activity> trace;
        lock (spans)
        {
            trace = spans.Where(a => a.TraceId == http!.TraceId).ToList();
        }

        trace.Should().Contain(a => a.Source.Name == "MetricService" && a.DisplayName == "mediator WriteMetricBatchCommand");
        trace.Should().Contain(a => a.Source.Name == "Npgsql", "the batch's SQL belongs to the request's trace (through the group commit's span)");
    }

    [Fact]
    public async Task Metrics_can_be_kept_for_admin_keys()
    {
        await using var api = new ApiFactory(settings: new Dictionary<string, string> { ["AUTH_MODE"] = "keys", ["METRICS_AUTH"] = "admin" });
        var client = api.CreateClient();

        await (await client.GetAsync("/metrics")).ShouldBeProblemAsync(System.Net.HttpStatusCode.Unauthorized);
        (await api.CreateClient((await api.CreateKeyAsync(["admin"])).Key).GetStringAsync("/metrics")).Should().Contain("# TYPE");
    }

    private static async Task<string> ScrapeAsync(HttpClient client, Func<string, bool>? until = null)
    {
        // The exporter may answer from a short cache: scrape until what was done shows.
        for (var wait = Stopwatch.StartNew(); ; await Task.Delay(200))
        {
            var text = await client.GetStringAsync("/metrics");
            if (until is null || until(text) || wait.Elapsed > TimeSpan.FromSeconds(10))
            {
                return text;
            }
        }
    }

    /// <summary>The sum of a series' samples whose labels contain <paramref name="label"/> (0 when absent).</summary>
    private static double Value(string scrape, string name, string label) =>
        scrape.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(line => label.Length == 0 || line.Contains(label, StringComparison.Ordinal))
            .Sum(line => double.Parse(Sample().Match(line).Groups[1].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"\s(\S+)(\s\d+)?$")]
    private static partial Regex Sample();
}
