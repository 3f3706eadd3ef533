using System.Net;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>The run picker's endpoints: recent runs and a run's metric names.</summary>
[Collection(ApiCollection.Name)]
public sealed class RunListingTests(ApiFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Runs_come_latest_activity_first_with_point_counts_and_metric_names()
    {
        var older = Guid.NewGuid();
        var newer = Guid.NewGuid();
        await _client.PostBatchAsync(
            Point(older, "loss", 1, 0.5, "2098-01-01T00:00:00Z"),
            Point(older, "acc", 1, 0.1, "2098-01-01T00:00:05Z"),
            Point(older, "acc", 2, 0.2, "2098-01-01T00:00:06Z"));
        await _client.PostBatchAsync(Point(newer, "train/loss", 1, 0.5, "2099-01-01T00:00:00Z"));

        var runs = (await _client.GetJsonAsync("/api/v1/runs?limit=1000"))["runs"]!.AsArray()
            .Where(r => r!["run_id"]!.GetValue<Guid>() == newer || r["run_id"]!.GetValue<Guid>() == older)
            .ToList();

        runs.Select(r => r!["run_id"]!.GetValue<Guid>()).Should().Equal(newer, older);
        runs[1]!["last_activity"]!.GetValue<DateTimeOffset>().Should().Be(DateTimeOffset.Parse("2098-01-01T00:00:06Z"));
        runs[1]!["point_count"]!.GetValue<long>().Should().Be(3);
        runs[1]!["metric_names"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("acc", "loss");
        (await _client.GetJsonAsync("/api/v1/runs?limit=1"))["runs"]!.AsArray().Should().ContainSingle();
    }

    [Fact]
    public async Task A_runs_metric_names_come_in_ordinal_order_and_follow_new_writes()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "loss", 1, 0.5), Point(run, "acc", 1, 0.9), Point(run, "Zeta", 1, 1.0));

        var names = await _client.GetJsonAsync($"/api/v1/runs/{run}/metric-names");
        names["run_id"]!.GetValue<Guid>().Should().Be(run);
        names["metric_names"]!.AsArray().Select(n => n!.GetValue<string>()).Should().Equal("Zeta", "acc", "loss");

        // The answer was cached; the write must invalidate it.
        await _client.PostBatchAsync(Point(run, "lr", 1, 0.01));
        (await _client.GetJsonAsync($"/api/v1/runs/{run}/metric-names"))["metric_names"]!.AsArray()
            .Select(n => n!.GetValue<string>()).Should().Equal("Zeta", "acc", "loss", "lr");
    }

    [Fact]
    public async Task An_unknown_run_has_no_metric_names()
    {
        var names = await _client.GetJsonAsync($"/api/v1/runs/{Guid.NewGuid()}/metric-names");

        names["metric_names"]!.AsArray().Should().BeEmpty();
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=1001")]
    [InlineData("limit=lots")]
    public async Task A_bad_run_list_limit_is_a_400_problem_naming_it(string query)
    {
        var problem = await (await _client.GetAsync($"/api/v1/runs?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        problem["errors"]!.AsObject().Select(e => e.Key).Should().Equal("limit");
    }
}
