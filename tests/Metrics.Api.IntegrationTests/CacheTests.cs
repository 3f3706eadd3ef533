using System.Text.Json.Nodes;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// Reads are cached in Redis and never stale after a write through the API. Rows inserted
/// behind the API's back (straight into PostgreSQL) reveal whether an answer came from cache.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class CacheTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private static int Count(JsonNode response) => response["count"]!.GetValue<int>();

    [Fact]
    public async Task Every_read_sees_the_write_that_preceded_it()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "loss", 1, 1.0));
        var history = $"/api/v1/runs/{run}/metrics/loss";
        var listing = $"/api/v1/runs/{run}/metrics";
        var latest = $"/api/v1/runs/{run}/metrics/loss/latest";
        var stats = $"/api/v1/runs/{run}/metrics/loss/stats";
        foreach (var url in new[] { history, listing, latest, stats })
        {
            await _client.GetJsonAsync(url);
        }

        await _client.PostBatchAsync(Point(run, "loss", 2, 5.0, "2024-05-01T12:00:30Z"));

        Count(await _client.GetJsonAsync(history)).Should().Be(2);
        Count(await _client.GetJsonAsync(listing)).Should().Be(2);
        (await _client.GetJsonAsync(latest))["step"]!.GetValue<long>().Should().Be(2);
        (await _client.GetJsonAsync(stats))["max_value"]!.GetValue<double>().Should().Be(5.0);
    }

    [Fact]
    public async Task A_write_invalidates_exactly_the_reads_it_changes()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "a", 1, 1.0), Point(run, "b", 1, 1.0));
        var historyA = $"/api/v1/runs/{run}/metrics/a";
        var statsA = $"/api/v1/runs/{run}/metrics/a/stats";
        var listing = $"/api/v1/runs/{run}/metrics";
        Count(await _client.GetJsonAsync(historyA)).Should().Be(1);
        (await _client.GetJsonAsync(statsA))["count"]!.GetValue<long>().Should().Be(1);
        Count(await _client.GetJsonAsync(listing)).Should().Be(2);

        await Db.Postgres.InsertBehindTheApiAsync(run, "a", 99, 9.0);
        Count(await _client.GetJsonAsync(historyA)).Should().Be(1, "the answer is cached");

        await _client.PostBatchAsync(Point(run, "b", 2, 2.0));
        Count(await _client.GetJsonAsync(historyA)).Should().Be(1, "writing b does not touch a's cached reads");
        (await _client.GetJsonAsync(statsA))["count"]!.GetValue<long>().Should().Be(1);
        Count(await _client.GetJsonAsync(listing)).Should().Be(4, "the run listing includes b and is invalidated");

        await _client.PostBatchAsync(Point(run, "a", 2, 7.0));
        Count(await _client.GetJsonAsync(historyA)).Should().Be(3, "writing a invalidates a's reads");
        (await _client.GetJsonAsync(statsA))["max_value"]!.GetValue<double>().Should().Be(7.0);
    }

    [Fact]
    public async Task A_pure_retry_keeps_the_cache()
    {
        var run = Guid.NewGuid();
        var point = Point(run, "loss", 1, 1.0);
        await _client.PostBatchAsync(point);
        var history = $"/api/v1/runs/{run}/metrics/loss";
        await _client.GetJsonAsync(history);
        await Db.Postgres.InsertBehindTheApiAsync(run, "loss", 50, 0.5);

        await _client.PostBatchAsync(point);

        Count(await _client.GetJsonAsync(history)).Should().Be(1, "a retry changes nothing, so nothing is invalidated");
    }

    [Fact]
    public async Task System_metric_reads_are_invalidated_by_system_writes()
    {
        var run = Guid.NewGuid();
        var url = $"/api/v1/runs/{run}/system-metrics";
        Count(await _client.GetJsonAsync(url)).Should().Be(0);

        var response = await _client.PostAsync("/api/v1/metrics/system/batch", Batch(new { run_id = run, metric_type = "cpu", value = 50.0 }));
        response.EnsureSuccessStatusCode();

        Count(await _client.GetJsonAsync(url)).Should().Be(1);
    }
}
