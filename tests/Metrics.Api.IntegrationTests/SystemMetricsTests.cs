using System.Net;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

public abstract class SystemMetricsTests(IStorageFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private static object Sys(Guid run, string type, double value, string time, object? metadata = null) =>
        new { run_id = run, metric_type = type, value, time, metadata };

    private async Task<System.Text.Json.Nodes.JsonNode> PostAsync(params object[] metrics) =>
        await (await _client.PostAsync("/api/v1/metrics/system/batch", Batch(metrics))).ReadJsonAsync(HttpStatusCode.Created);

    [Fact]
    public async Task Every_system_metric_type_is_accepted_and_read_back()
    {
        var run = Guid.NewGuid();
        string[] types = ["cpu", "cpu_core", "memory", "disk", "network_sent", "network_recv", "gpu_util", "gpu_memory", "gpu_temp", "gpu_power"];

        var ack = await PostAsync(types.Select((t, i) => Sys(run, t, i, $"2024-05-01T12:00:{i:00}Z")).ToArray());

        ack["count"]!.GetValue<int>().Should().Be(10);
        var response = await _client.GetJsonAsync($"/api/v1/runs/{run}/system-metrics");
        response["run_id"]!.GetValue<Guid>().Should().Be(run);
        response["count"]!.GetValue<int>().Should().Be(10);
        response["metrics"]!.AsArray().Select(m => m!["metric_type"]!.GetValue<string>()).Should().Equal(types.Reverse());
    }

    [Fact]
    public async Task Devices_are_told_apart_by_metadata_and_filtered_by_type_and_time()
    {
        var run = Guid.NewGuid();
        await PostAsync(
            Sys(run, "gpu_util", 97, "2024-05-01T12:00:00Z", new { gpu = 0 }),
            Sys(run, "gpu_util", 95, "2024-05-01T12:00:00Z", new { gpu = 1 }),
            Sys(run, "gpu_util", 90, "2024-05-01T12:00:10Z", new { gpu = 0 }),
            Sys(run, "cpu_core", 40, "2024-05-01T12:00:00Z", new { core = 3 }));

        var gpu = await _client.GetJsonAsync($"/api/v1/runs/{run}/system-metrics?metric_type=gpu_util&order=asc");
        var window = await _client.GetJsonAsync($"/api/v1/runs/{run}/system-metrics?start_time=2024-05-01T12:00:05Z&end_time=2024-05-01T12:00:10Z");
        var limited = await _client.GetJsonAsync($"/api/v1/runs/{run}/system-metrics?limit=1");

        gpu["count"]!.GetValue<int>().Should().Be(3);
        gpu["metrics"]!.AsArray().Select(m => m!["metadata"]!["gpu"]!.GetValue<int>()).Should().BeEquivalentTo([0, 1, 0]);
        window["count"]!.GetValue<int>().Should().Be(1);
        window["metrics"]![0]!["value"]!.GetValue<double>().Should().Be(90);
        limited["count"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public async Task A_retried_system_batch_is_stored_once()
    {
        var run = Guid.NewGuid();
        var batch = new[]
        {
            Sys(run, "gpu_temp", 71, "2024-05-01T12:00:00Z", new { gpu = 0 }),
            Sys(run, "gpu_temp", 68, "2024-05-01T12:00:00Z", new { gpu = 1 }),
            Sys(run, "memory", 12.5, "2024-05-01T12:00:00Z"),
        };

        await PostAsync(batch);
        var retry = await PostAsync(batch);

        retry["duplicates"]!.GetValue<int>().Should().Be(3);
        (await fixture.Db.CountSystemMetricsAsync(run)).Should().Be(3);
    }

    [Fact]
    public async Task A_system_point_without_time_is_stamped_now()
    {
        var run = Guid.NewGuid();

        await PostAsync(new { run_id = run, metric_type = "cpu", value = 12.0 });

        var response = await _client.GetJsonAsync($"/api/v1/runs/{run}/system-metrics");
        response["metrics"]![0]!["time"]!.GetValue<string>().Should().Be("2025-06-01T12:00:00Z");
    }
}

[Collection(ApiCollection.Name)]
public sealed class SystemMetricsTestsOnPostgres(ApiFixture fixture) : SystemMetricsTests(fixture);

[Collection(TimescaleCollection.Name)]
public sealed class SystemMetricsTestsOnTimescale(TimescaleFixture fixture) : SystemMetricsTests(fixture);
