using System.Net;
using System.Text.Json.Nodes;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

public abstract class QueryTests(IStorageFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private static string At(int second) => $"2024-05-01T12:00:{second:00}Z";

    private static long[] Steps(JsonNode response) =>
        response["metrics"]!.AsArray().Select(m => m!["step"]!.GetValue<long>()).ToArray();

    private async Task<Guid> SeedAsync()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Enumerable.Range(0, 10)
            .SelectMany(i => new[] { Point(run, "loss", i, 1.0 / (i + 1), At(i)), Point(run, "acc", i, i / 10.0, At(i)) })
            .ToArray());
        return run;
    }

    [Fact]
    public async Task A_runs_metrics_come_newest_first_with_run_id_and_count()
    {
        var run = await SeedAsync();

        var response = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics");

        response["run_id"]!.GetValue<Guid>().Should().Be(run);
        response["count"]!.GetValue<int>().Should().Be(20);
        var times = response["metrics"]!.AsArray().Select(m => m!["time"]!.GetValue<DateTime>()).ToList();
        times.Should().BeInDescendingOrder();
        response["metrics"]![0]!.AsObject().Select(p => p.Key)
            .Should().BeEquivalentTo(["run_id", "metric_name", "step", "value", "time", "metadata"]);
    }

    [Fact]
    public async Task Run_listing_filters_by_name_steps_times_limit_and_order()
    {
        var run = await SeedAsync();
        var url = $"/api/v1/runs/{run}/metrics";

        Steps(await _client.GetJsonAsync($"{url}?metric_name=acc&order=asc")).Should().Equal(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        Steps(await _client.GetJsonAsync($"{url}?metric_name=acc&min_step=3&max_step=5&order=asc")).Should().Equal(3, 4, 5);
        Steps(await _client.GetJsonAsync($"{url}?metric_name=acc&start_time={At(2)}&end_time={At(4)}")).Should().Equal(4, 3, 2);
        Steps(await _client.GetJsonAsync($"{url}?metric_name=acc&limit=2")).Should().Equal(9, 8);
        (await _client.GetJsonAsync($"{url}?limit=3"))["count"]!.GetValue<int>().Should().Be(3);
    }

    [Fact]
    public async Task Times_in_the_query_string_accept_offsets_and_default_to_utc()
    {
        var run = await SeedAsync();
        var url = $"/api/v1/runs/{run}/metrics/acc";

        // 14:00:03+02:00 is 12:00:03Z; an unencoded '+' arrives as a space and is still understood.
        Steps(await _client.GetJsonAsync($"{url}?start_time=2024-05-01T14:00:03%2B02:00&end_time=2024-05-01T12:00:04")).Should().Equal(4, 3);
        Steps(await _client.GetJsonAsync($"{url}?start_time=2024-05-01T14:00:08+02:00")).Should().Equal(9, 8);
    }

    [Fact]
    public async Task A_metric_history_names_run_and_metric()
    {
        var run = await SeedAsync();

        var response = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss?min_step=8");

        response["run_id"]!.GetValue<Guid>().Should().Be(run);
        response["metric_name"]!.GetValue<string>().Should().Be("loss");
        response["count"]!.GetValue<int>().Should().Be(2);
        Steps(response).Should().Equal(9, 8);
    }

    [Fact]
    public async Task An_unknown_run_or_metric_has_an_empty_history()
    {
        var response = await _client.GetJsonAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics/loss");

        response["count"]!.GetValue<int>().Should().Be(0);
        response["metrics"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public async Task Latest_is_the_highest_step_even_when_logged_earlier()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(
            Point(run, "loss", 100, 0.1, At(1)),
            Point(run, "loss", 5, 0.9, At(50)),
            Point(run, "loss", null, 0.7, At(59)));

        var latest = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest");

        latest["step"]!.GetValue<long>().Should().Be(100);
        latest["value"]!.GetValue<double>().Should().Be(0.1);
        latest["metric_name"]!.GetValue<string>().Should().Be("loss");
    }

    [Fact]
    public async Task Latest_breaks_step_ties_and_step_less_series_by_time()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(
            Point(run, "tie", 7, 1, At(1)),
            Point(run, "tie", 7, 2, At(3)),
            Point(run, "tie", 7, 3, At(2)),
            Point(run, "free", null, 10, At(5)),
            Point(run, "free", null, 20, At(9)),
            Point(run, "free", null, 30, At(7)));

        (await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/tie/latest"))["value"]!.GetValue<double>().Should().Be(2);
        (await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/free/latest"))["value"]!.GetValue<double>().Should().Be(20);
    }

    [Fact]
    public async Task Latest_and_stats_of_a_missing_series_are_404_problems()
    {
        var run = Guid.NewGuid();

        await (await _client.GetAsync($"/api/v1/runs/{run}/metrics/loss/latest")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await _client.GetAsync($"/api/v1/runs/{run}/metrics/loss/stats")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Stats_are_exact_with_sample_standard_deviation()
    {
        var run = Guid.NewGuid();
        double[] values = [2, 4, 4, 4, 5, 5, 7, 9];
        await _client.PostBatchAsync(values.Select((v, i) => Point(run, "loss", i, v, At(i + 10))).ToArray());

        var stats = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats");

        stats["metric_name"]!.GetValue<string>().Should().Be("loss");
        stats["count"]!.GetValue<long>().Should().Be(8);
        stats["min_value"]!.GetValue<double>().Should().Be(2);
        stats["max_value"]!.GetValue<double>().Should().Be(9);
        stats["avg_value"]!.GetValue<double>().Should().Be(5);
        var mean = values.Average();
        var sampleStd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1));
        stats["std_dev"]!.GetValue<double>().Should().BeApproximately(sampleStd, 1e-12);
        stats["first_time"]!.GetValue<string>().Should().Be(At(10));
        stats["last_time"]!.GetValue<string>().Should().Be(At(17));
    }

    [Fact]
    public async Task Stats_of_one_point_have_no_standard_deviation()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "loss", 1, 3.5));

        var stats = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats");

        stats["count"]!.GetValue<long>().Should().Be(1);
        stats["avg_value"]!.GetValue<double>().Should().Be(3.5);
        stats["std_dev"].Should().BeNull();
    }

    [Fact]
    public async Task Stats_count_every_point_but_aggregate_finite_values_only()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(
            Point(run, "loss", 1, 1.0, At(1)),
            Point(run, "loss", 2, 3.0, At(2)),
            Point(run, "loss", 3, "NaN", At(3)),
            Point(run, "loss", 4, "Infinity", At(4)),
            Point(run, "loss", 5, "-Infinity", At(5)));

        var stats = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats");

        stats["count"]!.GetValue<long>().Should().Be(5);
        stats["nan_count"]!.GetValue<long>().Should().Be(1);
        stats["inf_count"]!.GetValue<long>().Should().Be(2);
        stats["min_value"]!.GetValue<double>().Should().Be(1);
        stats["max_value"]!.GetValue<double>().Should().Be(3);
        stats["avg_value"]!.GetValue<double>().Should().Be(2);
        stats["std_dev"]!.GetValue<double>().Should().BeApproximately(Math.Sqrt(2), 1e-12);
        stats["last_time"]!.GetValue<string>().Should().Be(At(5));
    }

    [Fact]
    public async Task Stats_of_huge_values_do_not_overflow()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "big", 1, 1.7e308), Point(run, "big", 2, 1.7e308), Point(run, "big", 3, -1.7e308));

        var stats = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/big/stats");

        stats["avg_value"]!.GetValue<double>().Should().BeApproximately(1.7e308 / 3, 1e295);
        stats["std_dev"]!.ToJsonString().Should().Be("\"Infinity\"", "the spread exceeds double's range");
    }

    [Fact]
    public async Task Stats_of_only_non_finite_values_have_null_aggregates()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "loss", 1, "NaN"));

        var stats = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats");

        stats["count"]!.GetValue<long>().Should().Be(1);
        stats["min_value"].Should().BeNull();
        stats["avg_value"].Should().BeNull();
    }

    [Fact]
    public async Task Names_with_slashes_and_spaces_are_readable_percent_encoded()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "train/loss", 1, 0.5), Point(run, "eval/top 5/acc", 3, 0.25));

        var history = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/train%2Floss");
        var latest = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/train%2Floss/latest");
        var stats = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/eval%2Ftop%205%2Facc/stats");
        var filtered = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics?metric_name=train%2Floss");

        history["metric_name"]!.GetValue<string>().Should().Be("train/loss");
        history["count"]!.GetValue<int>().Should().Be(1);
        latest["value"]!.GetValue<double>().Should().Be(0.5);
        stats["metric_name"]!.GetValue<string>().Should().Be("eval/top 5/acc");
        stats["max_value"]!.GetValue<double>().Should().Be(0.25);
        filtered["count"]!.GetValue<int>().Should().Be(1);
    }

    [Fact]
    public async Task Health_reports_healthy_with_each_dependency()
    {
        var health = await _client.GetJsonAsync("/health");

        health["status"]!.GetValue<string>().Should().Be("healthy");
        health["checks"]!["postgresql"]!.GetValue<string>().Should().Be("healthy");
        health["checks"]!["redis"]!.GetValue<string>().Should().Be("healthy");
    }
}

[Collection(ApiCollection.Name)]
public sealed class QueryTestsOnPostgres(ApiFixture fixture) : QueryTests(fixture);

[Collection(TimescaleCollection.Name)]
public sealed class QueryTestsOnTimescale(TimescaleFixture fixture) : QueryTests(fixture);
