using FluentValidation.TestHelper;
using Metrics.Application.Common;
using Metrics.Application.Common.Behaviours;
using Metrics.Application.Common.Models;
using Metrics.Application.Metrics.Queries.GetMetricHistory;
using Metrics.Application.Metrics.Queries.GetRunMetrics;

namespace Metrics.Application.Tests;

public sealed class RangeQueryValidationTests
{
    private static readonly Guid Run = Guid.NewGuid();
    private readonly GetMetricHistoryQueryValidator _validator = new();

    static RangeQueryValidationTests() => ValidationConventions.Apply();

    private static GetMetricHistoryQuery Query(int limit = 1000, long? min = null, long? max = null, string? order = null,
        DateTimeOffset? start = null, DateTimeOffset? end = null, string name = "loss") =>
        new(Run, name, limit, start, end, min, max, order);

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    [InlineData(-3)]
    public void Limit_is_1_to_10000(int limit) => _validator.TestValidate(Query(limit)).ShouldHaveValidationErrorFor("limit");

    [Theory]
    [InlineData("asc")]
    [InlineData("desc")]
    [InlineData("DESC")]
    [InlineData(null)]
    public void Order_accepts_asc_and_desc(string? order) => _validator.TestValidate(Query(order: order)).ShouldNotHaveAnyValidationErrors();

    [Fact]
    public void Other_orders_are_rejected() => _validator.TestValidate(Query(order: "newest")).ShouldHaveValidationErrorFor("order");

    [Fact]
    public void Step_range_must_be_ordered_and_non_negative()
    {
        _validator.TestValidate(Query(min: 10, max: 5)).ShouldHaveValidationErrorFor("max_step");
        _validator.TestValidate(Query(min: -1)).ShouldHaveValidationErrorFor("min_step");
        _validator.TestValidate(Query(min: 5, max: 5)).ShouldNotHaveAnyValidationErrors();
    }

    [Fact]
    public void Time_range_must_be_ordered() =>
        _validator.TestValidate(Query(start: DateTimeOffset.UnixEpoch.AddDays(1), end: DateTimeOffset.UnixEpoch)).ShouldHaveValidationErrorFor("end_time");

    [Fact]
    public void Metric_name_is_checked() => _validator.TestValidate(Query(name: "x;y")).ShouldHaveValidationErrorFor("metric_name");

    [Fact]
    public void Range_defaults_to_newest_first_and_normalises_times_to_utc()
    {
        var range = Query(start: new DateTimeOffset(2024, 1, 1, 2, 0, 0, TimeSpan.FromHours(2))).ToPointRange();

        range.Ascending.Should().BeFalse();
        range.StartTime.Should().Be(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc));
    }

    [Fact]
    public void Equal_reads_share_a_cache_key_and_different_reads_do_not()
    {
        var utc = Query(start: new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var sameInstant = Query(start: new DateTimeOffset(2024, 1, 1, 2, 0, 0, TimeSpan.FromHours(2)));

        sameInstant.CacheKey.Should().Be(utc.CacheKey);
        Query(limit: 10).CacheKey.Should().NotBe(Query(limit: 11).CacheKey);
        Query(order: "asc").CacheKey.Should().NotBe(Query().CacheKey);
    }

    [Fact]
    public void A_run_listing_filtered_to_one_metric_depends_only_on_that_series()
    {
        new GetRunMetricsQuery(Run, "loss", 10, null, null, null, null, null).DependsOn.Should().Equal(CacheTags.Metric(Run, "loss"));
        new GetRunMetricsQuery(Run, null, 10, null, null, null, null, null).DependsOn.Should().Equal(CacheTags.RunMetrics(Run));
    }
}
