using System.Net;
using System.Text;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>Every class of bad input is a 4xx problem that names what is wrong and writes nothing.</summary>
[Collection(ApiCollection.Name)]
public sealed class BadInputTests(ApiFixture fixture)
{
    private const string RunPlaceholder = "{run}";
    private readonly HttpClient _client = fixture.Client;

    public static TheoryData<string, string, string> BadBatches => new()
    {
        // label, body (with {run}), the error key expected
        { "malformed JSON", """{"metrics":[{"run_id":"{run}","metric_name":"loss","value":1}""", "metrics[1]" },
        { "not JSON at all", "loss=1", "body" },
        { "metrics not an array", """{"metrics":{"run_id":"{run}"}}""", "metrics" },
        { "no metrics field", """{"points":[]}""", "metrics" },
        { "empty batch", """{"metrics":[]}""", "metrics" },
        { "null item", """{"metrics":[{"run_id":"{run}","metric_name":"loss","value":1},null]}""", "metrics[1]" },
        { "invalid UUID", """{"metrics":[{"run_id":"run-42","metric_name":"loss","value":1}]}""", "metrics[0].run_id" },
        { "nil UUID", """{"metrics":[{"run_id":"00000000-0000-0000-0000-000000000000","metric_name":"loss","value":1}]}""", "metrics[0].run_id" },
        { "value as text", """{"metrics":[{"run_id":"{run}","metric_name":"loss","value":"0.5"}]}""", "metrics[0].value" },
        { "value missing", """{"metrics":[{"run_id":"{run}","metric_name":"loss"}]}""", "metrics[0].value" },
        { "value null", """{"metrics":[{"run_id":"{run}","metric_name":"loss","value":null}]}""", "metrics[0].value" },
        { "fractional step", """{"metrics":[{"run_id":"{run}","metric_name":"loss","step":1.5,"value":1}]}""", "metrics[0].step" },
        { "step beyond 64 bits", """{"metrics":[{"run_id":"{run}","metric_name":"loss","step":9223372036854775808,"value":1}]}""", "metrics[0].step" },
        { "negative step", """{"metrics":[{"run_id":"{run}","metric_name":"loss","step":-1,"value":1}]}""", "metrics[0].step" },
        { "step as text", """{"metrics":[{"run_id":"{run}","metric_name":"loss","step":"7","value":1}]}""", "metrics[0].step" },
        { "bad time", """{"metrics":[{"run_id":"{run}","metric_name":"loss","value":1,"time":"yesterday"}]}""", "metrics[0].time" },
        { "time as number", """{"metrics":[{"run_id":"{run}","metric_name":"loss","value":1,"time":1714564800}]}""", "metrics[0].time" },
        { "empty name", """{"metrics":[{"run_id":"{run}","metric_name":"","value":1}]}""", "metrics[0].metric_name" },
        { "name with forbidden characters", """{"metrics":[{"run_id":"{run}","metric_name":"loss'; DROP TABLE metrics;--","value":1}]}""", "metrics[0].metric_name" },
        { "name too long", $$"""{"metrics":[{"run_id":"{run}","metric_name":"{{new string('n', 251)}}","value":1}]}""", "metrics[0].metric_name" },
        { "metadata not an object", """{"metrics":[{"run_id":"{run}","metric_name":"loss","value":1,"metadata":[1,2]}]}""", "metrics[0].metadata" },
        { "metadata with NUL", """{"metrics":[{"run_id":"{run}","metric_name":"loss","value":1,"metadata":{"a":"\u0000"}}]}""", "metrics[0].metadata" },
        { "metadata too large", $$$"""{"metrics":[{"run_id":"{run}","metric_name":"loss","value":1,"metadata":{"a":"{{{new string('m', 5000)}}}"}}]}""", "metrics[0].metadata" },
    };

    [Theory]
    [MemberData(nameof(BadBatches))]
    public async Task A_bad_batch_is_a_400_problem_naming_the_field_and_writes_nothing(string label, string body, string errorKey)
    {
        var run = Guid.NewGuid();
        var good = $$"""{"run_id":"{{run}}","metric_name":"loss","step":0,"value":1}""";

        // A good point first, so "nothing written" means the batch really was all-or-nothing.
        var json = body.Replace(RunPlaceholder, run.ToString(), StringComparison.Ordinal);
        if (json.StartsWith("{\"metrics\":[{", StringComparison.Ordinal))
        {
            json = "{\"metrics\":[" + good + "," + json["{\"metrics\":[".Length..];
            errorKey = ShiftIndex(errorKey);
        }

        var response = await _client.PostAsync("/api/v1/metrics/batch", Json(json));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!.AsObject().Select(e => e.Key).Should().Contain(errorKey, label);
        problem.ToJsonString().Should().NotContain("Metrics.Application", "internal type names stay inside");
        (await Db.Postgres.CountMetricsAsync(run)).Should().Be(0, label);
    }

    public static TheoryData<string, string> BadReads => new()
    {
        { "/api/v1/runs/not-a-uuid/metrics", "run_id" },
        { "/api/v1/runs/12345/metrics/loss", "run_id" },
        { "/api/v1/runs/{run}/metrics?limit=0", "limit" },
        { "/api/v1/runs/{run}/metrics?limit=10001", "limit" },
        { "/api/v1/runs/{run}/metrics?limit=ten", "limit" },
        { "/api/v1/runs/{run}/metrics?limit=99999999999999", "limit" },
        { "/api/v1/runs/{run}/metrics?order=newest", "order" },
        { "/api/v1/runs/{run}/metrics?start_time=yesterday", "start_time" },
        { "/api/v1/runs/{run}/metrics?end_time=2024-13-45T00:00:00Z", "end_time" },
        { "/api/v1/runs/{run}/metrics?min_step=-1", "min_step" },
        { "/api/v1/runs/{run}/metrics?min_step=abc", "min_step" },
        { "/api/v1/runs/{run}/metrics?min_step=10&max_step=5", "max_step" },
        { "/api/v1/runs/{run}/metrics?start_time=2024-02-01T00:00:00Z&end_time=2024-01-01T00:00:00Z", "end_time" },
        { "/api/v1/runs/{run}/metrics?metric_name=bad%3Bname", "metric_name" },
        { "/api/v1/runs/{run}/metrics/bad%3Bname", "metric_name" },
        { "/api/v1/runs/{run}/metrics/bad%3Bname/latest", "metric_name" },
        { "/api/v1/runs/{run}/metrics/bad%3Bname/stats", "metric_name" },
        { "/api/v1/runs/{run}/metrics/loss?max_step=x", "max_step" },
        { "/api/v1/runs/{run}/system-metrics?metric_type=toaster", "metric_type" },
        { "/api/v1/runs/{run}/system-metrics?limit=0", "limit" },
        { "/api/v1/runs/oops/system-metrics", "run_id" },
    };

    [Theory]
    [MemberData(nameof(BadReads))]
    public async Task A_bad_read_is_a_400_problem_naming_the_parameter(string url, string errorKey)
    {
        var response = await _client.GetAsync(url.Replace(RunPlaceholder, Guid.NewGuid().ToString(), StringComparison.Ordinal));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!.AsObject().Select(e => e.Key).Should().Equal(errorKey);
    }

    [Fact]
    public async Task A_body_over_the_cap_is_a_413_problem()
    {
        var run = Guid.NewGuid();
        var padding = new string('x', 4500);
        var metrics = Enumerable.Range(0, 1000).Select(i => Point(run, "loss", i, 1, metadata: new { padding })).ToArray();
        var content = Batch(metrics);
        (await content.ReadAsByteArrayAsync()).Length.Should().BeGreaterThan(4 * 1024 * 1024);

        await using var kestrel = new ApiFactory(kestrel: true);
        // Expect: 100-continue lets the server refuse before the body is sent, as curl does for
        // large bodies; otherwise the refusal races the upload and may surface as a broken pipe.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/metrics/batch") { Content = content };
        request.Headers.ExpectContinue = true;
        var response = await kestrel.CreateClient().SendAsync(request);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        problem["detail"]!.GetValue<string>().Should().Contain("4194304");
        (await Db.Postgres.CountMetricsAsync(run)).Should().Be(0);
    }

    [Fact]
    public async Task A_non_json_content_type_is_a_415_problem()
    {
        var response = await _client.PostAsync("/api/v1/metrics/batch", new StringContent("{}", Encoding.UTF8, "text/plain"));

        await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task An_unknown_route_is_a_404_problem()
    {
        var response = await _client.GetAsync("/api/v1/nothing-here");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_bad_system_batch_is_a_400_problem_and_writes_nothing()
    {
        var run = Guid.NewGuid();
        var json = $$"""{"metrics":[{"run_id":"{{run}}","metric_type":"cpu","value":50},{"run_id":"{{run}}","metric_type":"gpu","value":1}]}""";

        var problem = await (await _client.PostAsync("/api/v1/metrics/system/batch", Json(json))).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        problem["errors"]!.AsObject().Select(e => e.Key).Should().Equal("metrics[1].metric_type");
        (await Db.Postgres.CountSystemMetricsAsync(run)).Should().Be(0);
    }

    private static string ShiftIndex(string key) =>
        key.StartsWith("metrics[", StringComparison.Ordinal)
            ? "metrics[" + (int.Parse(key[8..key.IndexOf(']', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) + 1) + key[key.IndexOf(']', StringComparison.Ordinal)..]
            : key;
}
