using Metrics.Application.Common.Models;

namespace Metrics.Application.Tests;

public sealed class TimeBucketLayoutTests
{
    private static DateTime At(string iso) => DateTime.Parse(iso, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal);

    [Theory]
    [InlineData("2024-02-01T00:00:10Z", "2024-02-01T02:55:03Z", 4, 3600)]
    [InlineData("2024-02-01T00:00:10Z", "2024-02-01T02:55:03Z", 20, 600)]
    [InlineData("2024-02-01T00:00:10Z", "2024-02-01T02:55:03Z", 2000, 10)]
    [InlineData("2024-02-01T00:00:00Z", "2024-02-01T00:00:00Z", 1, 1)]          // one instant: the narrowest width
    [InlineData("2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z", 500, 86_400)]   // a year in 366 days
    [InlineData("2024-01-01T00:00:00Z", "2024-12-31T00:00:00Z", 10, 3_628_800)] // whole weeks beyond a week (6 weeks)
    public void The_narrowest_readable_width_that_fits_is_chosen(string from, string to, int points, long seconds) =>
        TimeBucketLayout.ChooseWidth(At(from), At(to), points).Should().Be(TimeSpan.FromSeconds(seconds));

    [Fact]
    public void Buckets_never_outnumber_the_points_asked_for()
    {
        var random = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var from = At("2024-01-01T00:00:00Z").AddSeconds(random.NextDouble() * 1e8);
            var to = from.AddSeconds(random.NextDouble() * Math.Pow(10, random.Next(0, 9)));
            var points = random.Next(1, 2000);
            var width = TimeBucketLayout.ChooseWidth(from, to, points);

            var count = ((TimeBucketLayout.Floor(to, width) - TimeBucketLayout.Floor(from, width)) / width) + 1;
            count.Should().BeLessThanOrEqualTo(points, $"{from:O}..{to:O} in {points}");
        }
    }

    [Theory]
    [InlineData("2024-02-01T01:07:59Z", 600, "2024-02-01T01:00:00Z")]
    [InlineData("2024-02-01T01:00:00Z", 600, "2024-02-01T01:00:00Z")]
    [InlineData("2024-02-07T15:00:00Z", 604_800, "2024-02-05T00:00:00Z")] // weeks start on Mondays
    [InlineData("1999-12-31T23:59:59Z", 3600, "1999-12-31T23:00:00Z")]    // before the origin: still the floor
    public void Buckets_start_on_edges_counted_from_the_origin(string time, long seconds, string start) =>
        TimeBucketLayout.Floor(At(time), TimeSpan.FromSeconds(seconds)).Should().Be(At(start));

    [Fact]
    public void Edges_near_the_ends_of_time_are_clamped_rather_than_thrown()
    {
        var week = TimeSpan.FromDays(7);
        TimeBucketLayout.End(DateTime.MaxValue.AddDays(-1), week).Should().Be(DateTime.MaxValue);
        TimeBucketLayout.Floor(DateTime.MinValue.AddDays(1), TimeSpan.FromDays(700)).Should().Be(DateTime.MinValue);
    }
}
