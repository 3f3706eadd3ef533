using System.Net;
using System.Text.Json.Nodes;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

[Collection(ApiCollection.Name)]
public sealed class BatchedReadTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private static string At(int second) => $"2024-05-01T12:00:{second:00}Z";

    private static (string Name, long Step)[] Points(JsonNode metrics) =>
        metrics.AsArray().Select(m => (m!["metric_name"]!.GetValue<string>(), m["step"]!.GetValue<long>())).ToArray();

    private async Task<Guid> SeedRunAsync(double offset = 0)
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Enumerable.Range(0, 5)
            .SelectMany(i => new[] { Point(run, "loss", i, offset + i, At(i)), Point(run, "acc", i, offset - i, At(i)), Point(run, "lr", i, 0.1, At(i)) })
            .ToArray());
        return run;
    }

    [Fact]
    public async Task Several_metrics_of_a_run_come_grouped_in_the_order_named_with_the_limit_per_series()
    {
        var run = await SeedRunAsync();

        var response = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics?metric_names=acc,loss&limit=2");

        Points(response["metrics"]!).Should().Equal(("acc", 4L), ("acc", 3L), ("loss", 4L), ("loss", 3L));
        response["count"]!.GetValue<int>().Should().Be(4);
    }

    [Fact]
    public async Task Several_metrics_honour_order_and_ranges_and_repeated_parameters()
    {
        var run = await SeedRunAsync();

        var response = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics?metric_names=loss&metric_names=lr&order=asc&min_step=1&max_step=2");

        Points(response["metrics"]!).Should().Equal(("loss", 1L), ("loss", 2L), ("lr", 1L), ("lr", 2L));
    }

    [Fact]
    public async Task One_metric_across_runs_comes_per_run_in_request_order()
    {
        var (a, b, empty) = (await SeedRunAsync(100), await SeedRunAsync(200), Guid.NewGuid());

        var response = await _client.GetJsonAsync($"/api/v1/metrics/loss?run_ids={b},{empty},{a}&limit=3&order=asc");

        response["metric_name"]!.GetValue<string>().Should().Be("loss");
        var runs = response["runs"]!.AsArray();
        runs.Select(r => r!["run_id"]!.GetValue<Guid>()).Should().Equal(b, empty, a);
        runs[0]!["metrics"]!.AsArray().Select(m => m!["value"]!.GetValue<double>()).Should().Equal(200, 201, 202);
        runs[1]!["count"]!.GetValue<int>().Should().Be(0);
        runs[2]!["metrics"]!.AsArray().Select(m => m!["value"]!.GetValue<double>()).Should().Equal(100, 101, 102);
        response["count"]!.GetValue<int>().Should().Be(6);
    }

    // Above 10,000 points an answer is streamed from the database rather than read whole and cached:
    // it must be the same answer the small reads give, counts included.
    [Fact]
    public async Task Large_reads_are_streamed_with_the_same_points_and_counts_as_small_ones()
    {
        var (a, b, empty) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        foreach (var run in new[] { a, b })
        {
            for (var from = 0; from < 6000; from += 500)
            {
                await _client.PostBatchAsync(Enumerable.Range(from, 500)
                    .SelectMany(i => new[] { Point(run, "loss", i, i * 0.5), Point(run, "acc", i, -i) })
                    .ToArray());
            }
        }

        string Metrics(JsonNode response) => response["metrics"]!.ToJsonString();
        var streamed = await _client.GetJsonAsync($"/api/v1/runs/{a}/metrics?metric_names=acc,loss,nothing&limit=6000&order=asc");
        var acc = await _client.GetJsonAsync($"/api/v1/runs/{a}/metrics?metric_names=acc&limit=6000&order=asc");
        var loss = await _client.GetJsonAsync($"/api/v1/runs/{a}/metrics?metric_names=loss&limit=6000&order=asc");
        streamed["count"]!.GetValue<int>().Should().Be(12_000);
        Metrics(streamed).Should().Be("[" + Metrics(acc)[1..^1] + "," + Metrics(loss)[1..^1] + "]");

        var across = await _client.GetJsonAsync($"/api/v1/metrics/loss?run_ids={b},{empty},{a}&limit=6000");
        across["count"]!.GetValue<int>().Should().Be(12_000);
        var runs = across["runs"]!.AsArray();
        runs.Select(r => r!["run_id"]!.GetValue<Guid>()).Should().Equal(b, empty, a);
        runs.Select(r => r!["count"]!.GetValue<int>()).Should().Equal(6000, 0, 6000);
        runs[1]!["metrics"]!.AsArray().Should().BeEmpty();
        Metrics(runs[2]!).Should().Be(Metrics(await _client.GetJsonAsync($"/api/v1/runs/{a}/metrics/loss?limit=6000")));
    }

    [Fact]
    public async Task Cross_run_reads_are_invalidated_by_writes_to_any_of_the_runs()
    {
        var (a, b) = (await SeedRunAsync(), await SeedRunAsync());
        var url = $"/api/v1/metrics/loss?run_ids={a},{b}";
        (await _client.GetJsonAsync(url))["count"]!.GetValue<int>().Should().Be(10);

        await _client.PostBatchAsync(Point(b, "loss", 9, 9.0));

        (await _client.GetJsonAsync(url))["count"]!.GetValue<int>().Should().Be(11);
    }

    [Theory]
    [InlineData("/api/v1/metrics/loss", "run_ids")]
    [InlineData("/api/v1/metrics/loss?run_ids=not-a-uuid", "run_ids")]
    [InlineData("/api/v1/metrics/loss?run_ids=00000000-0000-0000-0000-000000000000", "run_ids")]
    [InlineData("/api/v1/metrics/bad%3Bname?run_ids=5f0c3c9e-8a55-4c1b-9f4e-0a6d2b7f1e11", "metric_name")]
    [InlineData("/api/v1/metrics/loss?run_ids=5f0c3c9e-8a55-4c1b-9f4e-0a6d2b7f1e11&limit=0", "limit")]
    [InlineData("/api/v1/runs/5f0c3c9e-8a55-4c1b-9f4e-0a6d2b7f1e11/metrics?metric_names=loss,bad%3Bname", "metric_names")]
    [InlineData("/api/v1/runs/5f0c3c9e-8a55-4c1b-9f4e-0a6d2b7f1e11/metrics?metric_names=loss&metric_name=acc", "metric_names")]
    public async Task Bad_batched_reads_are_400_problems(string url, string key)
    {
        var problem = await (await _client.GetAsync(url)).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        problem["errors"]!.AsObject().Select(e => e.Key).Should().Equal(key);
    }

    [Fact]
    public async Task More_than_100_runs_is_a_400_problem()
    {
        var ids = string.Join(',', Enumerable.Range(0, 101).Select(_ => Guid.NewGuid()));

        var problem = await (await _client.GetAsync($"/api/v1/metrics/loss?run_ids={ids}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        problem["errors"]!["run_ids"].Should().NotBeNull();
    }
}
