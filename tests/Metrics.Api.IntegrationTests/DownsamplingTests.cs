using System.Net;
using System.Text.Json.Nodes;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

public abstract class DownsamplingTests(IStorageFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    private static JsonArray Buckets(JsonNode response) => response["buckets"]!.AsArray();

    private async Task<(Guid Run, double[] Values)> SeedAsync(int count, int spikeAt = -1)
    {
        var run = Guid.NewGuid();
        var values = Enumerable.Range(0, count).Select(i => i == spikeAt ? 1e6 : Math.Sin(i / 50.0)).ToArray();
        foreach (var chunk in Enumerable.Range(0, count).Chunk(1000))
        {
            await _client.PostBatchAsync(chunk.Select(i => Point(run, "loss", i, values[i], time: null)).ToArray());
        }

        return (run, values);
    }

    [Fact]
    public async Task A_long_series_becomes_at_most_n_buckets_that_keep_extremes_and_endpoints()
    {
        var (run, values) = await SeedAsync(5000, spikeAt: 3137);

        var response = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/downsampled?points=100");

        var buckets = Buckets(response);
        buckets.Count.Should().BeLessThanOrEqualTo(100).And.BeGreaterThan(90);
        response["total"]!.GetValue<long>().Should().Be(5000);
        buckets.Sum(b => b!["count"]!.GetValue<long>()).Should().Be(5000, "every point lands in one bucket");
        buckets.Max(b => b!["max"]!.GetValue<double>()).Should().Be(1e6, "a one-point spike survives");
        buckets.Min(b => b!["min"]!.GetValue<double>()).Should().Be(values.Min());
        response["first"]!["step"]!.GetValue<long>().Should().Be(0);
        response["last"]!["step"]!.GetValue<long>().Should().Be(4999);
        response["last"]!["value"]!.GetValue<double>().Should().Be(values[4999]);
        buckets[0]!["first_step"]!.GetValue<long>().Should().Be(0);
        buckets[^1]!["step"]!.GetValue<long>().Should().Be(4999);
        buckets[^1]!["last"]!.GetValue<double>().Should().Be(values[4999]);
        buckets.Select(b => b!["first_step"]!.GetValue<long>()).Should().BeInAscendingOrder();
        foreach (var bucket in buckets)
        {
            var from = bucket!["first_step"]!.GetValue<long>();
            var to = bucket["step"]!.GetValue<long>();
            var inBucket = values[(int)from..((int)to + 1)];
            bucket["min"]!.GetValue<double>().Should().Be(inBucket.Min());
            bucket["max"]!.GetValue<double>().Should().Be(inBucket.Max());
            bucket["avg"]!.GetValue<double>().Should().BeApproximately(inBucket.Average(), 1e-9);
            bucket["last"]!.GetValue<double>().Should().Be(values[to]);
        }
    }

    [Theory]
    [InlineData(null, null, 50)]
    [InlineData(1001L, 18999L, 20)]
    [InlineData(64L, 12863L, 7)]
    [InlineData(1001L, 18999L, 40)]
    public async Task Long_ranges_read_from_rollups_stay_exact_per_bucket(long? minStep, long? maxStep, int points)
    {
        // 20,000 steps over few buckets: answered from 1024-step rollups (20 and 7 buckets) or
        // 64-step ones (50 and 40), plus raw edge points.
        var (run, values) = await SeedAsync(20_000, spikeAt: 15_555);
        var query = $"points={points}" + (minStep is null ? string.Empty : $"&min_step={minStep}&max_step={maxStep}");

        var response = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/downsampled?{query}");

        var (lo, hi) = (minStep ?? 0, maxStep ?? 19_999);
        var buckets = Buckets(response);
        buckets.Count.Should().BeLessThanOrEqualTo(points).And.BeGreaterThan(points / 2);
        buckets.Sum(b => b!["count"]!.GetValue<long>()).Should().Be(hi - lo + 1);
        buckets[0]!["first_step"]!.GetValue<long>().Should().Be(lo);
        buckets[^1]!["step"]!.GetValue<long>().Should().Be(hi);
        response["first"]!["step"]!.GetValue<long>().Should().Be(lo);
        response["last"]!["step"]!.GetValue<long>().Should().Be(hi);
        var next = lo;
        foreach (var bucket in buckets)
        {
            var from = bucket!["first_step"]!.GetValue<long>();
            var to = bucket["step"]!.GetValue<long>();
            from.Should().Be(next, "buckets tile the range");
            next = to + 1;
            var inBucket = values[(int)from..((int)to + 1)];
            bucket["count"]!.GetValue<long>().Should().Be(inBucket.Length);
            bucket["min"]!.GetValue<double>().Should().Be(inBucket.Min());
            bucket["max"]!.GetValue<double>().Should().Be(inBucket.Max());
            bucket["avg"]!.GetValue<double>().Should().BeApproximately(inBucket.Average(), 1e-9);
            bucket["last"]!.GetValue<double>().Should().Be(values[to]);
        }

        (await fixture.Db.CoarseRollupMismatchesAsync(run)).Should().Be(0, "both rollup levels agree");
        if (lo <= 15_555 && 15_555 <= hi)
        {
            buckets.Max(b => b!["max"]!.GetValue<double>()).Should().Be(1e6, "a one-point spike survives the rollups");
        }
    }

    [Fact]
    public async Task A_short_series_comes_back_point_for_point()
    {
        var (run, values) = await SeedAsync(40);

        var buckets = Buckets(await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/downsampled"));

        buckets.Count.Should().Be(40);
        buckets.Select(b => b!["last"]!.GetValue<double>()).Should().Equal(values);
        buckets.Should().OnlyContain(b => b!["count"]!.GetValue<long>() == 1);
    }

    [Theory]
    [InlineData(300)] // raw points, one per bucket
    [InlineData(2)]   // rollups (each bucket spans at least two 64-step blocks)
    public async Task Each_bucket_carries_the_time_of_its_last_point_for_time_axes(int points)
    {
        var run = Guid.NewGuid();
        var start = new DateTimeOffset(2024, 5, 1, 0, 0, 0, TimeSpan.Zero);
        await _client.PostBatchAsync(Enumerable.Range(0, 300)
            .Select(i => Point(run, "loss", i, i * 0.5, start.AddSeconds(i).ToString("O"))).ToArray());

        var buckets = Buckets(await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/downsampled?points={points}"));

        buckets.Should().NotBeEmpty();
        buckets.Should().OnlyContain(b => b!["time"]!.GetValue<DateTimeOffset>() == start.AddSeconds(b["step"]!.GetValue<long>()));
    }

    [Fact]
    public async Task A_step_range_limits_the_buckets_and_the_endpoints()
    {
        var (run, _) = await SeedAsync(1000);

        var response = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/downsampled?points=10&min_step=200&max_step=299");

        response["total"]!.GetValue<long>().Should().Be(100);
        Buckets(response).Count.Should().Be(10);
        Buckets(response).Should().OnlyContain(b => b!["count"]!.GetValue<long>() == 10);
        response["first"]!["step"]!.GetValue<long>().Should().Be(200);
        response["last"]!["step"]!.GetValue<long>().Should().Be(299);
    }

    [Fact]
    public async Task Non_finite_values_are_counted_apart_and_can_be_the_last_value()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "loss", 0, 1.0), Point(run, "loss", 1, "NaN"), Point(run, "loss", 2, 3.0), Point(run, "loss", 3, "Infinity"));

        var bucket = Buckets(await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/downsampled?points=1")).Single()!;

        bucket["count"]!.GetValue<long>().Should().Be(4);
        bucket["non_finite"]!.GetValue<long>().Should().Be(2);
        bucket["min"]!.GetValue<double>().Should().Be(1.0);
        bucket["max"]!.GetValue<double>().Should().Be(3.0);
        bucket["avg"]!.GetValue<double>().Should().Be(2.0);
        bucket["last"]!.ToJsonString().Should().Be("\"Infinity\"");
    }

    [Fact]
    public async Task Huge_values_do_not_break_the_mean()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "big", 0, 1.7e308), Point(run, "big", 1, 1.7e308));

        var bucket = Buckets(await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/big/downsampled?points=1")).Single()!;

        bucket["avg"]!.GetValue<double>().Should().Be(1.7e308);
    }

    [Fact]
    public async Task Huge_values_do_not_break_the_mean_of_rollup_buckets()
    {
        // 300 steps for 2 buckets: long enough for the rollup path; each block's sum is ~1e310.
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Enumerable.Range(0, 300).Select(i => Point(run, "big", i, i % 2 == 0 ? 1.7e308 : 1.5e308)).ToArray());

        var buckets = Buckets(await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/big/downsampled?points=2"));

        buckets.Should().HaveCount(2);
        buckets.Select(b => b!["avg"]!.GetValue<double>()).Should().AllSatisfy(avg => avg.Should().BeApproximately(1.6e308, 1e295));
        buckets.Sum(b => b!["count"]!.GetValue<long>()).Should().Be(300);
    }

    [Fact]
    public async Task An_unknown_series_has_no_buckets_and_writes_invalidate_the_cached_answer()
    {
        var run = Guid.NewGuid();
        var url = $"/api/v1/runs/{run}/metrics/loss/downsampled";
        var empty = await _client.GetJsonAsync(url);
        Buckets(empty).Should().BeEmpty();
        empty["first"].Should().BeNull();

        await _client.PostBatchAsync(Point(run, "loss", 5, 1.0));

        Buckets(await _client.GetJsonAsync(url)).Count.Should().Be(1);
    }

    [Theory]
    [InlineData("points=0", "points")]
    [InlineData("points=10001", "points")]
    [InlineData("points=many", "points")]
    [InlineData("min_step=-1", "min_step")]
    [InlineData("min_step=9&max_step=3", "max_step")]
    public async Task Bad_parameters_are_400_problems(string query, string key)
    {
        var response = await _client.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics/loss/downsampled?{query}");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!.AsObject().Select(e => e.Key).Should().Equal(key);
    }
}

[Collection(ApiCollection.Name)]
public sealed class DownsamplingTestsOnPostgres(ApiFixture fixture) : DownsamplingTests(fixture);

[Collection(TimescaleCollection.Name)]
public sealed class DownsamplingTestsOnTimescale(TimescaleFixture fixture) : DownsamplingTests(fixture);
