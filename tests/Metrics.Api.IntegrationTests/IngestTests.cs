using System.Net;
using Metrics.Infrastructure.Persistence.Writes;
using Microsoft.Extensions.DependencyInjection;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

public abstract class IngestTests(IStorageFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task A_batch_is_acknowledged_with_its_count_and_stored()
    {
        var run = Guid.NewGuid();

        var ack = await _client.PostBatchAsync(
            Point(run, "loss", 1, 0.9, metadata: new { lr = 0.001 }),
            Point(run, "loss", 2, 0.7),
            Point(run, "acc", 2, 0.5));

        ack["count"]!.GetValue<int>().Should().Be(3);
        ack["message"]!.GetValue<string>().Should().NotBeEmpty();
        (await fixture.Db.CountMetricsAsync(run)).Should().Be(3);
        var history = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss?order=asc");
        history["metrics"]![0]!["metadata"]!["lr"]!.GetValue<double>().Should().Be(0.001);
        history["metrics"]![0]!["run_id"]!.GetValue<Guid>().Should().Be(run);
    }

    [Fact]
    public async Task A_point_without_time_is_stored_at_the_server_clock_in_utc()
    {
        var run = Guid.NewGuid();

        await _client.PostBatchAsync(Point(run, "loss", 1, 1.0, time: null));

        var latest = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest");
        latest["time"]!.GetValue<string>().Should().Be("2025-06-01T12:00:00Z");
    }

    [Theory]
    [InlineData("2024-05-01T12:00:00", "2024-05-01T12:00:00Z")]
    [InlineData("2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00Z")]
    [InlineData("2024-05-01T12:00:00.123456Z", "2024-05-01T12:00:00.123456Z")]
    [InlineData("2024-05-01T07:30:00-04:30", "2024-05-01T12:00:00Z")]
    public async Task Times_are_stored_in_utc_and_a_time_without_offset_is_utc(string sent, string stored)
    {
        var run = Guid.NewGuid();

        await _client.PostBatchAsync(Point(run, "loss", 1, 1.0, time: sent));

        var latest = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest");
        latest["time"]!.GetValue<string>().Should().Be(stored);
    }

    [Fact]
    public async Task One_invalid_item_rejects_the_whole_batch_naming_item_and_field()
    {
        var run = Guid.NewGuid();
        var metrics = Enumerable.Range(0, 20).Select(i => Point(run, "loss", i, i * 0.1)).ToArray();
        ((Dictionary<string, object?>)metrics[17])["run_id"] = null;

        var response = await _client.PostAsync("/api/v1/metrics/batch", Batch(metrics));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!.AsObject().Select(e => e.Key).Should().Equal("metrics[17].run_id");
        (await fixture.Db.CountMetricsAsync(run)).Should().Be(0, "a rejected batch writes nothing");
    }

    [Fact]
    public async Task A_wrongly_typed_item_rejects_the_points_before_it_too()
    {
        var run = Guid.NewGuid();
        var json = $$"""{"metrics":[{"run_id":"{{run}}","metric_name":"loss","step":1,"value":1},{"run_id":"{{run}}","metric_name":"loss","step":2,"value":"high"}]}""";

        var response = await _client.PostAsync("/api/v1/metrics/batch", Json(json));

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!.AsObject().Select(e => e.Key).Should().Equal("metrics[1].value");
        (await fixture.Db.CountMetricsAsync(run)).Should().Be(0);
    }

    [Fact]
    public async Task A_retried_batch_is_stored_once_and_still_acknowledged()
    {
        var run = Guid.NewGuid();
        var batch = new[]
        {
            Point(run, "loss", 1, 0.5),
            Point(run, "loss", null, 0.4, time: "2024-05-01T12:00:05Z"),
            Point(run, "acc", 1, 0.8),
        };

        var first = await _client.PostBatchAsync(batch);
        var retry = await _client.PostBatchAsync(batch);

        first["count"]!.GetValue<int>().Should().Be(3);
        retry["count"]!.GetValue<int>().Should().Be(3);
        retry["duplicates"]!.GetValue<int>().Should().Be(3);
        (await fixture.Db.CountMetricsAsync(run)).Should().Be(3, "step-less points are deduplicated too");
    }

    [Fact]
    public async Task Repeats_inside_one_batch_are_stored_once_while_new_points_in_a_retry_are_kept()
    {
        var run = Guid.NewGuid();

        await _client.PostBatchAsync(Point(run, "loss", 1, 0.5), Point(run, "loss", 1, 0.5));
        var mixed = await _client.PostBatchAsync(Point(run, "loss", 1, 0.5), Point(run, "loss", 2, 0.4));

        mixed["inserted"]!.GetValue<int>().Should().Be(1);
        (await fixture.Db.CountMetricsAsync(run)).Should().Be(2);
    }

    [Fact]
    public async Task Concurrent_retries_of_one_batch_store_it_once()
    {
        var run = Guid.NewGuid();
        var batch = Enumerable.Range(0, 200).Select(i => Point(run, "loss", i, i * 1.5)).ToArray();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => _client.PostAsync("/api/v1/metrics/batch", Batch(batch))));

        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.Created);
        (await fixture.Db.CountMetricsAsync(run)).Should().Be(200);
        var acks = await Task.WhenAll(responses.Select(r => r.ReadJsonAsync(HttpStatusCode.Created)));
        acks.Sum(a => a["inserted"]!.GetValue<int>()).Should().Be(200, "each point is credited as new to exactly one request, grouped or not");
        acks.Sum(a => a["duplicates"]!.GetValue<int>()).Should().Be(1000);
    }

    [Fact]
    public async Task Nan_and_infinities_are_stored_and_returned_faithfully()
    {
        var run = Guid.NewGuid();

        await _client.PostBatchAsync(
            Point(run, "loss", 1, "NaN"),
            Point(run, "loss", 2, "Infinity"),
            Point(run, "loss", 3, "-Infinity"),
            Point(run, "loss", 4, 1.5e308));

        var history = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss?order=asc");
        history["metrics"]!.AsArray().Select(m => m!["value"]!.ToJsonString())
            .Should().Equal("\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "1.5E+308");
    }

    [Fact]
    public async Task The_largest_64_bit_step_round_trips()
    {
        var run = Guid.NewGuid();

        await _client.PostBatchAsync(Point(run, "loss", long.MaxValue, 1));

        var latest = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest");
        latest["step"]!.GetValue<long>().Should().Be(long.MaxValue);
    }

    // First write wins: within a batch the first occurrence of a point; across requests, the
    // request told 'inserted' is the one whose value is stored, point for point.
    [Fact]
    public async Task Within_a_batch_the_first_occurrence_of_a_point_is_the_one_stored()
    {
        var run = Guid.NewGuid();
        var first = Enumerable.Range(0, 500).Select(i => Point(run, "loss", i, 1.0));
        var again = Enumerable.Range(0, 500).Select(i => Point(run, "loss", i, 2.0));

        var ack = await _client.PostBatchAsync([.. first, .. again]);

        ack["inserted"]!.GetValue<int>().Should().Be(500);
        ack["duplicates"]!.GetValue<int>().Should().Be(500);
        (await fixture.Db.ReadSeriesAsync(run, "loss")).Select(p => p.Value).Should().AllBeEquivalentTo(1.0).And.HaveCount(500);
        var stats = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats");
        stats["max_value"]!.GetValue<double>().Should().Be(1.0, "the summary counts what was stored");
    }

    [Fact]
    public async Task Concurrent_batches_of_the_same_points_are_each_told_exactly_what_of_theirs_was_stored()
    {
        var run = Guid.NewGuid();
        var answers = await Task.WhenAll(Enumerable.Range(1, 8).Select(async k =>
            (Value: (double)k, Ack: await _client.PostBatchAsync(Enumerable.Range(0, 200).Select(i => Point(run, "loss", i, (double)k)).ToArray()))));

        var stored = (await fixture.Db.ReadSeriesAsync(run, "loss")).Select(p => p.Value).ToList();
        stored.Should().HaveCount(200);
        foreach (var (value, ack) in answers)
        {
            stored.Count(v => v == value).Should().Be(ack["inserted"]!.GetValue<int>(), $"the request writing {value} was told so");
        }
    }

    [Fact]
    public async Task Inside_one_group_commit_the_first_request_wins_and_only_its_points_are_new()
    {
        var run = Guid.NewGuid();
        var writer = fixture.Factory.Services.GetRequiredService<MetricWriter>();
        var requests = Enumerable.Range(1, 4)
            .Select(k => Enumerable.Range(0, 50).Select(i => Domain.Metrics.Metric.Create(run, "loss", i, k, DateTimeOffset.Parse("2024-05-01T12:00:00Z"), null)).ToList())
            .ToList();

        // What a group of four requests writes: their points one after another, in one transaction.
        var fresh = await writer.WriteMetricsAsync(requests.SelectMany(r => r).ToList(), [], CancellationToken.None);

        fresh.Should().HaveCount(50).And.OnlyContain(m => requests[0].Contains(m));
        (await fixture.Db.ReadSeriesAsync(run, "loss")).Select(p => p.Value).Should().AllBeEquivalentTo(1.0);
    }

    [Fact]
    public async Task A_full_batch_of_1000_is_accepted_and_1001_is_not()
    {
        var run = Guid.NewGuid();
        var thousand = Enumerable.Range(0, 1000).Select(i => Point(run, "loss", i, i)).ToArray();

        (await _client.PostBatchAsync(thousand))["count"]!.GetValue<int>().Should().Be(1000);

        var tooMany = thousand.Append(Point(run, "loss", 5000, 1)).ToArray();
        var problem = await (await _client.PostAsync("/api/v1/metrics/batch", Batch(tooMany))).ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!["metrics"].Should().NotBeNull();
        (await fixture.Db.CountMetricsAsync(run)).Should().Be(1000);
    }
}

[Collection(ApiCollection.Name)]
public sealed class IngestTestsOnPostgres(ApiFixture fixture) : IngestTests(fixture);

[Collection(TimescaleCollection.Name)]
public sealed class IngestTestsOnTimescale(TimescaleFixture fixture) : IngestTests(fixture);
