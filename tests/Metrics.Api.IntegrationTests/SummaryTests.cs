using System.Globalization;
using System.Net;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>/latest and /stats read a per-series summary; it must agree with a scan of the stored points.</summary>
public abstract class SummaryTests(IStorageFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task Summary_equals_a_full_scan_under_concurrent_writers_with_retries_and_non_finite_values()
    {
        var run = Guid.NewGuid();
        var writers = Enumerable.Range(0, 8).Select(async writer =>
        {
            var random = new Random(1000 + writer);
            for (var batch = 0; batch < 5; batch++)
            {
                var points = Enumerable.Range(0, 100).Select(_ => RandomPoint(run, random)).ToArray();
                var response = await _client.PostAsync("/api/v1/metrics/batch", Batch(points));
                response.StatusCode.Should().Be(HttpStatusCode.Created);
            }
        });
        await Task.WhenAll(writers);

        var stored = await fixture.Db.ReadSeriesAsync(run, "loss");
        stored.Count.Should().BeGreaterThan(1000, "most random points are distinct");
        var stats = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats");
        var latest = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest");

        var finite = stored.Where(p => double.IsFinite(p.Value)).Select(p => p.Value).ToArray();
        var mean = finite.Average();
        var std = Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1));
        stats["count"]!.GetValue<long>().Should().Be(stored.Count);
        stats["nan_count"]!.GetValue<long>().Should().Be(stored.Count(p => double.IsNaN(p.Value)));
        stats["inf_count"]!.GetValue<long>().Should().Be(stored.Count(p => double.IsInfinity(p.Value)));
        stats["min_value"]!.GetValue<double>().Should().Be(finite.Min());
        stats["max_value"]!.GetValue<double>().Should().Be(finite.Max());
        stats["avg_value"]!.GetValue<double>().Should().BeApproximately(mean, Math.Abs(mean) * 1e-12);
        stats["std_dev"]!.GetValue<double>().Should().BeApproximately(std, std * 1e-12);
        stats["first_time"]!.GetValue<DateTime>().Should().Be(stored.Min(p => p.Time));
        stats["last_time"]!.GetValue<DateTime>().Should().Be(stored.Max(p => p.Time));

        var expectedLatest = stored.OrderByDescending(p => p.Step.HasValue).ThenByDescending(p => p.Step).ThenByDescending(p => p.Time).First();
        latest["step"]!.GetValue<long?>().Should().Be(expectedLatest.Step);
        latest["time"]!.GetValue<DateTime>().Should().Be(expectedLatest.Time);
    }

    [Fact]
    public async Task Step_less_series_take_the_newest_point_as_latest_and_any_step_beats_none()
    {
        var run = Guid.NewGuid();
        await _client.PostBatchAsync(Point(run, "loss", null, 1, "2024-05-01T12:00:05Z"));
        await _client.PostBatchAsync(Point(run, "loss", null, 2, "2024-05-01T12:00:01Z"));
        (await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest"))["value"]!.GetValue<double>().Should().Be(1);

        await _client.PostBatchAsync(Point(run, "loss", 0, 3, "2024-05-01T11:00:00Z"));

        (await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest"))["value"]!.GetValue<double>().Should().Be(3);
    }

    private static object RandomPoint(Guid run, Random random)
    {
        object value = random.Next(50) switch
        {
            0 => "NaN",
            1 => "Infinity",
            2 => "-Infinity",
            _ => Math.Round((random.NextDouble() - 0.3) * Math.Pow(10, random.Next(-3, 6)), 6),
        };
        long? step = random.Next(10) == 0 ? null : random.Next(2000);
        var time = new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(random.Next(600)).ToString("O", CultureInfo.InvariantCulture);
        return Point(run, "loss", step, value, time);
    }
}

[Collection(ApiCollection.Name)]
public sealed class SummaryTestsOnPostgres(ApiFixture fixture) : SummaryTests(fixture);

[Collection(TimescaleCollection.Name)]
public sealed class SummaryTestsOnTimescale(TimescaleFixture fixture) : SummaryTests(fixture);
