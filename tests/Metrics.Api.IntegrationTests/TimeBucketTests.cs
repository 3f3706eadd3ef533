using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// Time-bucketed reads. On TimescaleDB, hour- and minute-multiple widths come from the continuous
/// aggregates (real-time part included), narrower ones from the raw points; on PostgreSQL all from
/// the raw points. Either way every bucket must equal a computation from the points written.
/// </summary>
public abstract class TimeBucketTests(IStorageFixture fixture)
{
    private static readonly DateTime Start = new(2024, 2, 1, 0, 0, 10, DateTimeKind.Utc);

    private readonly HttpClient _client = fixture.Client;

    /// <summary>1500 points 7 s apart (about 2 h 55 min), with NaN and ±Infinity among them.</summary>
    private async Task<(Guid Run, List<(long Step, double Value, DateTime Time)> Points)> SeedAsync()
    {
        var run = Guid.NewGuid();
        var points = Enumerable.Range(0, 1500)
            .Select(i => ((long)i, i switch { 100 => double.NaN, 200 => double.PositiveInfinity, 201 => double.NegativeInfinity, _ => Math.Sin(i / 40.0) * 10 }, Start.AddSeconds(7 * i)))
            .ToList();
        foreach (var chunk in points.Chunk(500))
        {
            await _client.PostBatchAsync(chunk.Select(p => Point(run, "loss", p.Item1, Wire(p.Item2), p.Item3.ToString("O", CultureInfo.InvariantCulture))).ToArray());
        }

        await fixture.SettleAsync(); // on TimescaleDB: read from the materialized aggregates

        return (run, points);
    }

    private static object Wire(double value) => double.IsFinite(value) ? value : value.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData(4, 3600)]   // hours
    [InlineData(20, 600)]   // minutes
    [InlineData(200, 60)]   // minutes
    [InlineData(2000, 10)]  // raw points
    public async Task Every_bucket_equals_a_computation_from_the_points(int points, long expectedSeconds)
    {
        var (run, written) = await SeedAsync();

        var response = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/time-buckets?points={points}");

        response["bucket_seconds"]!.GetValue<long>().Should().Be(expectedSeconds);
        response["total"]!.GetValue<long>().Should().Be(1500);
        var width = TimeSpan.FromSeconds(expectedSeconds);
        var origin = new DateTime(2000, 1, 3, 0, 0, 0, DateTimeKind.Utc);
        var first = origin + (width * Math.Floor((Start - origin) / width));
        response["start_time"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(first);
        var expected = written.GroupBy(p => (long)Math.Floor((p.Time - first) / width)).OrderBy(g => g.Key).ToList();
        var buckets = response["buckets"]!.AsArray();
        buckets.Count.Should().Be(expected.Count).And.BeLessThanOrEqualTo(points);
        foreach (var (bucket, group) in buckets.Zip(expected))
        {
            var finite = group.Where(p => double.IsFinite(p.Value)).Select(p => p.Value).ToList();
            var latest = group.MaxBy(p => p.Time);
            bucket!["time"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(first + (group.Key * width));
            bucket["count"]!.GetValue<long>().Should().Be(group.Count());
            bucket["non_finite"]!.GetValue<long>().Should().Be(group.Count() - finite.Count);
            if (finite.Count == 0)
            {
                // A bucket of non-finite points only (NaN alone in its 10 seconds) has no min, max or avg.
                new[] { bucket["min"], bucket["max"], bucket["avg"] }.Should().AllSatisfy(v => v.Should().BeNull());
            }
            else
            {
                bucket["min"]!.GetValue<double>().Should().Be(finite.Min());
                bucket["max"]!.GetValue<double>().Should().Be(finite.Max());
                bucket["avg"]!.GetValue<double>().Should().BeApproximately(finite.Average(), 1e-9);
            }

            bucket["first_step"]!.GetValue<long>().Should().Be(group.Min(p => p.Step));
            bucket["last_step"]!.GetValue<long>().Should().Be(group.Max(p => p.Step));
            bucket["last_time"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(latest.Time);
            Value(bucket["last"]!).Should().Be(latest.Value);
        }
    }

    [Fact]
    public async Task A_time_range_is_widened_to_whole_buckets()
    {
        var (run, written) = await SeedAsync();

        var response = await _client.GetJsonAsync(
            $"/api/v1/runs/{run}/metrics/loss/time-buckets?points=10&start_time=2024-02-01T01:05:00Z&end_time=2024-02-01T01:55:00");

        // 5-minute buckets would be 11 (01:05 … 01:55); 10-minute ones are 6, from 01:00 to 02:00.
        response["bucket_seconds"]!.GetValue<long>().Should().Be(600);
        var from = new DateTime(2024, 2, 1, 1, 0, 0, DateTimeKind.Utc);
        var to = new DateTime(2024, 2, 1, 2, 0, 0, DateTimeKind.Utc);
        response["start_time"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(from);
        response["end_time"]!.GetValue<DateTime>().ToUniversalTime().Should().Be(to);
        response["total"]!.GetValue<long>().Should().Be(written.Count(p => p.Time >= from && p.Time < to));
        response["buckets"]!.AsArray().Should().HaveCount(6);
    }

    [Fact]
    public async Task An_unknown_series_has_no_buckets_and_bad_parameters_are_a_400()
    {
        var empty = await _client.GetJsonAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics/loss/time-buckets");
        empty["total"]!.GetValue<long>().Should().Be(0);
        empty["buckets"]!.AsArray().Should().BeEmpty();

        foreach (var (query, field) in new[] { ("points=0", "points"), ("points=10001", "points"), ("start_time=2024-02-02&end_time=2024-02-01", "end_time") })
        {
            var problem = await (await _client.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics/loss/time-buckets?{query}"))
                .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
            problem["errors"]!.AsObject().Select(e => e.Key).Should().Contain(field, query);
        }
    }

    private static double Value(JsonNode node) =>
        node.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? double.Parse(node.GetValue<string>(), CultureInfo.InvariantCulture)
            : node.GetValue<double>();
}

[Collection(ApiCollection.Name)]
public sealed class TimeBucketTestsOnPostgres(ApiFixture fixture) : TimeBucketTests(fixture);

[Collection(TimescaleCollection.Name)]
public sealed class TimeBucketTestsOnTimescale(TimescaleFixture fixture) : TimeBucketTests(fixture);
