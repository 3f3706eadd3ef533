using System.Net;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>A service in WRITE_MODE=insert (what it picks by itself on servers without COPY).</summary>
public sealed class InsertWriteModeFixture : IAsyncLifetime
{
    public ApiFactory Factory { get; } = new(settings: new Dictionary<string, string> { ["WRITE_MODE"] = "insert" });

    public HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Client = Factory.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}

/// <summary>The insert-based write path keeps the COPY path's rules: all or nothing, no duplicates, every value.</summary>
[Collection(ApiCollection.Name)]
public sealed class InsertWriteModeTests(InsertWriteModeFixture fixture) : IClassFixture<InsertWriteModeFixture>
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Every_kind_of_value_is_stored_and_summarised()
    {
        var run = Guid.NewGuid();

        var result = await _client.PostBatchAsync(
            Point(run, "loss", 1, 0.5, metadata: new { lr = 0.001 }),
            Point(run, "loss", 2, "NaN"),
            Point(run, "loss", 3, "-Infinity"),
            Point(run, "loss", null, 0.25, "2024-05-01T12:00:05Z"));

        result["inserted"]!.GetValue<int>().Should().Be(4);
        (await Db.Postgres.CountMetricsAsync(run)).Should().Be(4);
        var history = (await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss?order=asc"))["metrics"]!.AsArray();
        history.Select(m => m!["value"]!.ToJsonString()).Should().BeEquivalentTo("0.5", "\"NaN\"", "\"-Infinity\"", "0.25");
        history.Single(m => m!["step"]?.GetValue<long>() == 1)!["metadata"]!["lr"]!.GetValue<double>().Should().Be(0.001);
        history.Should().ContainSingle(m => m!["step"] == null);
        var stats = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats");
        stats["count"]!.GetValue<long>().Should().Be(4);
        stats["nan_count"]!.GetValue<long>().Should().Be(1);
        stats["inf_count"]!.GetValue<long>().Should().Be(1);
        Buckets(await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/downsampled")).Should().HaveCount(3);
    }

    [Fact]
    public async Task Retries_and_repeats_within_a_batch_are_stored_once()
    {
        var run = Guid.NewGuid();
        var batch = new[] { Point(run, "acc", 1, 0.1), Point(run, "acc", 2, 0.2), Point(run, "acc", 2, 0.2) };

        var first = await _client.PostBatchAsync(batch);
        var retry = await _client.PostBatchAsync(batch);

        first["inserted"]!.GetValue<int>().Should().Be(2);
        first["duplicates"]!.GetValue<int>().Should().Be(1);
        retry["inserted"]!.GetValue<int>().Should().Be(0);
        retry["duplicates"]!.GetValue<int>().Should().Be(3);
        (await Db.Postgres.CountMetricsAsync(run)).Should().Be(2);
    }

    [Fact]
    public async Task A_bad_item_rejects_the_batch_and_system_metrics_are_written_too()
    {
        var run = Guid.NewGuid();
        var bad = await _client.PostAsync("/api/v1/metrics/batch", Batch(Point(run, "loss", 1, 0.5), Point(run, "", 2, 0.5)));
        await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        (await Db.Postgres.CountMetricsAsync(run)).Should().Be(0);

        var system = await _client.PostAsync("/api/v1/metrics/system/batch", Json(new
        {
            metrics = new object[]
            {
                new { run_id = run, metric_type = "gpu_util", value = 97.5, time = "2024-05-01T12:00:00Z", metadata = new { gpu = 0 } },
                new { run_id = run, metric_type = "gpu_util", value = 95.0, time = "2024-05-01T12:00:00Z", metadata = new { gpu = 1 } },
                new { run_id = run, metric_type = "cpu", value = 12.0, time = "2024-05-01T12:00:00Z" },
            },
        }));
        (await system.ReadJsonAsync(HttpStatusCode.Created))["inserted"]!.GetValue<int>().Should().Be(3);
        (await Db.Postgres.CountSystemMetricsAsync(run)).Should().Be(3);
    }

    private static System.Text.Json.Nodes.JsonArray Buckets(System.Text.Json.Nodes.JsonNode response) => response["buckets"]!.AsArray();
}
