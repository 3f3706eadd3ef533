using System.Net;
using System.Text;
using Npgsql;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// The outside probe's REST findings, as it made them: odd input that used to get a 500 (or be
/// altered silently), runs claimed by refused writes, reads without a ceiling, an open /metrics.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ProbeFindingTests(ApiFixture fixture)
{
    private readonly HttpClient _api = fixture.Client;

    private static StringContent RawBatch(string item) => new($"{{\"metrics\":[{item}]}}", Encoding.UTF8, "application/json");

    private static string Item(Guid run, string rest = "") =>
        $"{{\"run_id\":\"{run}\",\"metric_name\":\"loss\",\"step\":1,\"value\":0.5,\"time\":\"2024-05-01T12:00:00Z\"{rest}}}";

    public static TheoryData<string> OddItems => new()
    {
        ",\"metadata\":{\"a\":\"\\ud800\"}",          // a lone surrogate in a value
        ",\"metadata\":{\"\\udc00x\":1}",             // … and in a key
        ",\"metadata\":{\"a\":\"x\\ud800\\ud800y\"}",  // two high surrogates
        ",\"metadata\":{\"a\":1e1000000}",           // beyond numeric's range
        ",\"metadata\":{\"a\":[1,-1e400]}",          // beyond double's, nested
        ",\"metadata\":{\"a\":1e-400}",              // a non-zero number a double makes 0
        ",\"metadata\":{\"a\":1,\"a\":2}",           // a key twice
        ",\"value\":1e400",                          // overrides the value (a duplicate key too)
    };

    [Theory]
    [MemberData(nameof(OddItems))]
    public async Task Odd_metadata_and_numbers_get_a_400_naming_the_item_and_write_nothing(string extra)
    {
        var run = Guid.NewGuid();
        foreach (var path in new[] { "/api/v1/metrics/batch", "/api/v1/metrics/system/batch" })
        {
            var item = path.Contains("system", StringComparison.Ordinal)
                ? $"{{\"run_id\":\"{run}\",\"metric_type\":\"cpu\",\"value\":0.5,\"time\":\"2024-05-01T12:00:00Z\"{extra}}}"
                : Item(run, extra);
            var problem = await (await _api.PostAsync(path, RawBatch(item))).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
            problem["errors"]!.AsObject().Select(e => e.Key).Should().ContainMatch("metrics[0]*", path);
        }

        (await _api.GetJsonAsync($"/api/v1/runs/{run}/metrics"))["count"]!.GetValue<int>().Should().Be(0);
    }

    [Theory]
    [InlineData("1e400")]
    [InlineData("-1e400")]
    [InlineData("1e-400")]
    [InlineData("0.5e-330")]
    public async Task Values_a_double_cannot_hold_are_refused_rather_than_stored_as_infinity_or_zero(string value)
    {
        var run = Guid.NewGuid();
        var problem = await (await _api.PostAsync("/api/v1/metrics/batch", RawBatch(Item(run).Replace("0.5", value, StringComparison.Ordinal))))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!["metrics[0].value"]!.ToJsonString().Should().Contain("beyond what a double holds");
    }

    [Fact]
    public async Task Zero_written_any_way_and_the_tiniest_doubles_are_stored_as_sent()
    {
        var run = Guid.NewGuid();
        (await _api.PostAsync("/api/v1/metrics/batch", RawBatch(string.Join(',',
            Item(run).Replace("0.5", "0e-400", StringComparison.Ordinal),
            Item(run).Replace("\"step\":1", "\"step\":2", StringComparison.Ordinal).Replace("0.5", "4.9e-324", StringComparison.Ordinal)))))
            .StatusCode.Should().Be(HttpStatusCode.Created);
        var points = (await _api.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss?order=asc"))["metrics"]!.AsArray();
        points.Select(p => p!["value"]!.GetValue<double>()).Should().Equal(0, double.Epsilon);
    }

    [Fact]
    public async Task Metadata_is_limited_in_utf8_bytes_not_characters()
    {
        var run = Guid.NewGuid();
        // Sent as literal UTF-8: 1,400 characters are 4,200 bytes, 1,300 are 3,900.
        var problem = await (await _api.PostAsync("/api/v1/metrics/batch", RawBatch(Item(run, $",\"metadata\":{{\"a\":\"{new string('€', 1400)}\"}}"))))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!["metrics[0].metadata"]!.ToJsonString().Should().Contain("4096 bytes");
        (await _api.PostAsync("/api/v1/metrics/batch", RawBatch(Item(run, $",\"metadata\":{{\"a\":\"{new string('€', 1300)}\"}}"))))
            .StatusCode.Should().Be(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Times_are_cut_to_the_microsecond_however_many_digits_they_have_in_bodies_and_queries()
    {
        var run = Guid.NewGuid();
        await _api.PostBatchAsync(
            Point(run, "loss", 1, 0.5, "2024-05-01T12:00:00.1234569Z"),
            Point(run, "loss", 2, 0.5, "2024-05-01T12:00:00.12345699999Z"));
        var times = (await _api.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss?order=asc"))["metrics"]!.AsArray().Select(p => p!["time"]!.GetValue<string>());
        times.Should().Equal("2024-05-01T12:00:00.123456Z", "2024-05-01T12:00:00.123456Z");

        // A query bound written with nine digits means the same microsecond, not the next one.
        (await _api.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss?end_time=2024-05-01T12:00:00.123456999Z"))["count"]!.GetValue<int>().Should().Be(2);
    }

    [Theory]
    [InlineData("1969-12-31T23:59:59Z")]
    [InlineData("0001-01-01T00:00:00-14:00")]
    [InlineData("9999-12-31T23:59:59Z")]
    [InlineData("2025-06-03T12:00:01Z")] // two days past the tests' clock (2025-06-01T12:00Z)
    public async Task Point_times_outside_1970_to_a_day_from_now_are_refused(string time)
    {
        await using var api = new ApiFactory(settings: new Dictionary<string, string> { ["MAX_FUTURE_HOURS"] = "24" });
        var problem = await (await api.CreateClient().PostAsync("/api/v1/metrics/batch", Batch(Point(Guid.NewGuid(), "loss", 1, 0.5, time))))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!["metrics[0].time"]!.ToJsonString().Should().Contain("1970-01-01");
    }

    [Fact]
    public async Task Time_buckets_from_year_one_are_served()
    {
        var run = Guid.NewGuid();
        await _api.PostBatchAsync(Point(run, "loss", 1, 0.5, "2024-05-01T12:00:00Z"));
        var buckets = await _api.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/time-buckets?start_time=0001-01-01T00:00:00Z&end_time=9999-12-31T00:00:00Z");
        buckets["buckets"]!.AsArray().Sum(b => b!["count"]!.GetValue<long>()).Should().Be(1);
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public async Task Names_no_url_can_carry_are_refused(string name)
    {
        await (await _api.PostAsync("/api/v1/metrics/batch", Batch(Point(Guid.NewGuid(), name, 1, 0.5)))).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_huge_max_step_downsamples_through_the_rollups_like_any_other()
    {
        var run = Guid.NewGuid();
        await _api.PostBatchAsync(Enumerable.Range(0, 1000).Select(i => Point(run, "loss", i, (double)i)).ToArray());
        var capped = await _api.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/downsampled?points=10&max_step={long.MaxValue}");
        var plain = await _api.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/downsampled?points=10");
        capped.ToJsonString().Should().Be(plain.ToJsonString());
    }

    // Older versions stored a time before year 1 as -infinity; such a series must still read, in UTC.
    [Fact]
    public async Task A_point_stored_at_minus_infinity_by_an_older_version_reads_back_in_utc()
    {
        var run = Guid.NewGuid();
        await _api.PostBatchAsync(Point(run, "loss", 1, 0.5, "2024-05-01T12:00:00Z"));
        await using (var connection = new NpgsqlConnection(TestEnvironment.DatabaseConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("""
                INSERT INTO points (series_id, step, value, time)
                SELECT series_id, 0, 2, '-infinity' FROM series WHERE run_id = @run AND metric_name = 'loss';
                UPDATE metric_summaries SET first_time = '-infinity' WHERE run_id = @run;
                """, connection);
            command.Parameters.AddWithValue("run", run);
            await command.ExecuteNonQueryAsync();
        }

        var history = await _api.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss?limit=10");
        history["metrics"]!.AsArray().Select(m => m!["time"]!.GetValue<string>())
            .Should().Equal("2024-05-01T12:00:00Z", "0001-01-01T00:00:00Z");
        (await _api.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats"))["first_time"]!.GetValue<string>().Should().Be("0001-01-01T00:00:00Z");
        (await _api.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/time-buckets"))["total"]!.GetValue<long>().Should().Be(1);
    }

    [Fact]
    public async Task Multi_series_and_cross_run_reads_have_a_ceiling_on_points()
    {
        var names = string.Join(',', Enumerable.Range(0, 20).Select(i => $"m{i}"));
        var problem = await (await _api.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics?metric_names={names}&limit=10000"))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["title"]!.GetValue<string>().Should().NotContain("written", "a read writes nothing to begin with");
        problem["errors"]!["metric_names"]!.ToJsonString().Should().Contain("50,000 points");
        (await _api.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics?metric_names={names}&limit=2500")).StatusCode.Should().Be(HttpStatusCode.OK);

        var runs = string.Join(',', Enumerable.Range(0, 10).Select(_ => Guid.NewGuid()));
        (await (await _api.GetAsync($"/api/v1/metrics/loss?run_ids={runs}&limit=10000")).ShouldBeProblemAsync(HttpStatusCode.BadRequest))
            ["errors"]!["run_ids"]!.ToJsonString().Should().Contain("50,000 points");
    }

    [Fact]
    public async Task Query_parameter_errors_name_the_parameter_not_a_property()
    {
        var problem = await (await _api.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics?limit=abc")).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem.ToJsonString().Should().Contain("\"limit\"").And.NotContain("for Limit");
    }

    [Fact]
    public async Task A_hub_request_without_a_connection_id_is_a_problem_not_plain_text()
    {
        var problem = await (await _api.GetAsync("/hubs/metrics")).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["detail"]!.GetValue<string>().Should().Contain("negotiate");
    }

    [Fact]
    public async Task Duplicate_keys_in_a_batch_item_are_refused()
    {
        var run = Guid.NewGuid();
        var item = Item(run).Replace("\"step\":1", "\"step\":1,\"step\":2", StringComparison.Ordinal);
        await (await _api.PostAsync("/api/v1/metrics/batch", RawBatch(item))).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }
}

/// <summary>Project claims and the telemetry endpoint, with AUTH_MODE=keys.</summary>
[Collection(ApiCollection.Name)]
public sealed class ProbeFindingKeyTests
{
    [Fact]
    public async Task A_refused_write_claims_no_run()
    {
        await using var api = new ApiFactory(settings: new Dictionary<string, string> { ["AUTH_MODE"] = "keys" });
        var p1 = api.CreateClient((await api.CreateKeyAsync(["metrics:write", "metrics:read"], "p1")).Key);
        var p2 = api.CreateClient((await api.CreateKeyAsync(["metrics:write", "metrics:read"], "p2")).Key);
        var p2Run = Guid.NewGuid();
        await p2.PostBatchAsync(Point(p2Run, "loss", 1, 0.5));
        var fresh = Guid.NewGuid();

        await (await p1.PostAsync("/api/v1/metrics/batch", Batch(Point(fresh, "loss", 1, 0.5), Point(p2Run, "loss", 2, 0.5))))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await p1.PostAsync("/api/v1/metrics/system/batch", Batch(
                new { run_id = fresh, metric_type = "cpu", value = 0.5 }, new { run_id = p2Run, metric_type = "cpu", value = 0.5 })))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden);

        await p2.PostBatchAsync(Point(fresh, "loss", 1, 0.5));
        (await p2.GetJsonAsync($"/api/v1/runs/{fresh}/metrics"))["count"]!.GetValue<int>().Should().Be(1, "the fresh run was still free, and p2 took it");
        (await p1.GetAsync($"/api/v1/runs/{fresh}/metrics")).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Concurrent_first_writes_of_two_projects_to_one_run_leave_it_to_one_of_them()
    {
        await using var api = new ApiFactory(settings: new Dictionary<string, string> { ["AUTH_MODE"] = "keys", ["RATE_LIMIT_REQUESTS"] = "0" });
        var p1 = api.CreateClient((await api.CreateKeyAsync(["metrics:write", "metrics:read"], "race1")).Key);
        var p2 = api.CreateClient((await api.CreateKeyAsync(["metrics:write", "metrics:read"], "race2")).Key);
        for (var round = 0; round < 10; round++)
        {
            var run = Guid.NewGuid();
            var answers = await Task.WhenAll(
                p1.PostAsync("/api/v1/metrics/batch", Batch(Point(run, "loss", 1, 0.5))),
                p2.PostAsync("/api/v1/metrics/batch", Batch(Point(run, "loss", 2, 0.5))));
            answers.Count(a => a.StatusCode == HttpStatusCode.Created).Should().Be(1, "one project claims the run, the other is refused");
            var owner = answers[0].StatusCode == HttpStatusCode.Created ? p1 : p2;
            (await owner.GetJsonAsync($"/api/v1/runs/{run}/metrics"))["count"]!.GetValue<int>().Should().Be(1, "only the owner's point is stored");
        }
    }

    [Fact]
    public async Task Telemetry_needs_a_key_with_its_scope_and_shows_no_connection_details()
    {
        await using var api = new ApiFactory(settings: new Dictionary<string, string> { ["AUTH_MODE"] = "keys" });
        (await api.CreateClient().GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await api.CreateClient((await api.CreateKeyAsync(["metrics:read"])).Key).GetAsync("/metrics")).StatusCode.Should().Be(HttpStatusCode.Forbidden);

        var scraper = api.CreateClient((await api.CreateKeyAsync(["telemetry:read"])).Key);
        await api.CreateClient((await api.CreateKeyAsync(["metrics:write"])).Key).PostBatchAsync(Point(Guid.NewGuid(), "loss", 1, 0.5));
        var body = await (await scraper.GetAsync("/metrics")).Content.ReadAsStringAsync();

        // The service's pool is reported by its name. (The test helpers' own pools, in this same
        // process, report under their connection strings, so "Host=" cannot be checked here.)
        body.Should().Contain("metricservice_metrics_ingested_total").And.Contain("db_client_connection_pool_name=\"metrics\"").And.NotContain("Password");
    }
}
