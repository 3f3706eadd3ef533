using System.Text.Json;
using FluentValidation.TestHelper;
using Metrics.Application.Common;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Behaviours;
using Metrics.Application.Common.Models;
using Metrics.Application.Metrics;
using Metrics.Application.Metrics.Commands.WriteMetricBatch;
using Metrics.Domain.Metrics;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Metrics.Application.Tests;

public sealed class WriteMetricBatchValidatorTests
{
    private static readonly Guid Run = Guid.NewGuid();

    private readonly WriteMetricBatchCommandValidator _validator = new(Options.Create(new IngestOptions { MaxBatchSize = 5 }), new FakeTimeProvider(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)));

    static WriteMetricBatchValidatorTests() => ValidationConventions.Apply();

    private static MetricInput Valid(string name = "loss") => new(Run, name, 1, 0.5, null, null);

    [Fact]
    public void A_valid_batch_passes() =>
        _validator.TestValidate(new WriteMetricBatchCommand([Valid(), Valid("acc")])).ShouldNotHaveAnyValidationErrors();

    [Fact]
    public void Failures_name_the_item_and_the_field_in_snake_case()
    {
        var result = _validator.TestValidate(new WriteMetricBatchCommand([Valid(), Valid(), Valid() with { RunId = null, MetricName = "bad;name" }]));

        result.Errors.Select(e => e.PropertyName).Should().BeEquivalentTo(["metrics[2].run_id", "metrics[2].metric_name"]);
    }

    [Fact]
    public void Missing_value_and_negative_step_are_errors() =>
        _validator.TestValidate(new WriteMetricBatchCommand([Valid() with { Value = null, Step = -1 }]))
            .Errors.Select(e => e.PropertyName).Should().BeEquivalentTo(["metrics[0].value", "metrics[0].step"]);

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Batch_size_is_one_to_the_configured_maximum(int count) =>
        _validator.TestValidate(new WriteMetricBatchCommand(Enumerable.Range(0, count).Select(_ => (MetricInput?)Valid()).ToList()))
            .ShouldHaveValidationErrorFor("metrics");

    [Fact]
    public void Missing_metrics_and_null_items_are_errors()
    {
        _validator.TestValidate(new WriteMetricBatchCommand(null)).ShouldHaveValidationErrorFor("metrics");
        _validator.TestValidate(new WriteMetricBatchCommand([null])).ShouldHaveValidationErrorFor("metrics[0]");
    }

    [Theory]
    [InlineData("[1,2]", false)]
    [InlineData("\"text\"", false)]
    [InlineData("{\"a\":\"\\u0000\"}", false)]
    [InlineData("{\"gpu\":0}", true)]
    [InlineData("null", true)]
    public void Metadata_is_a_json_object_without_nul(string json, bool valid)
    {
        var result = _validator.TestValidate(new WriteMetricBatchCommand([Valid() with { Metadata = JsonDocument.Parse(json).RootElement }]));
        (result.Errors.Count == 0).Should().Be(valid);
    }

    [Fact]
    public void Oversized_metadata_is_an_error()
    {
        var big = JsonDocument.Parse($"{{\"k\":\"{new string('x', MetricRules.MaxMetadataBytes)}\"}}").RootElement;
        _validator.TestValidate(new WriteMetricBatchCommand([Valid() with { Metadata = big }])).ShouldHaveValidationErrorFor("metrics[0].metadata");
    }
}

public sealed class WriteMetricBatchHandlerTests
{
    private static readonly Guid Run = Guid.NewGuid();
    private readonly Mock<IMetricWriter> _writer = new();
    private readonly Mock<IQueryCache> _cache = new();
    private readonly Mock<ILiveMetricPublisher> _live = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));

    private WriteMetricBatchCommandHandler Handler => new(_writer.Object, _cache.Object, _live.Object, Mock.Of<ICaller>(), _clock, new Common.Telemetry.ServiceMetrics(new PlainMeterFactory()));

    private sealed class PlainMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options) => new(options);

        public void Dispose()
        {
        }
    }

    private void WriterStoresAll() =>
        _writer.Setup(w => w.WriteMetricsAsync(It.IsAny<IReadOnlyList<Metric>>(), It.IsAny<IReadOnlyList<RunClaim>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IReadOnlyList<Metric> m, IReadOnlyList<RunClaim> _, CancellationToken _) => m);

    [Fact]
    public async Task A_point_without_time_is_stamped_with_the_injected_clock()
    {
        IReadOnlyList<Metric>? written = null;
        _writer.Setup(w => w.WriteMetricsAsync(It.IsAny<IReadOnlyList<Metric>>(), It.IsAny<IReadOnlyList<RunClaim>>(), It.IsAny<CancellationToken>()))
            .Callback<IReadOnlyList<Metric>, IReadOnlyList<RunClaim>, CancellationToken>((m, _, _) => written = m)
            .ReturnsAsync((IReadOnlyList<Metric> m, IReadOnlyList<RunClaim> _, CancellationToken _) => m);

        await Handler.Handle(new WriteMetricBatchCommand([new MetricInput(Run, "loss", null, 1, null, null)]), CancellationToken.None);

        written.Should().ContainSingle().Which.Time.Should().Be(_clock.GetUtcNow().UtcDateTime);
    }

    [Fact]
    public async Task Invalidates_exactly_the_run_listing_and_each_written_series()
    {
        var other = Guid.NewGuid();
        WriterStoresAll();

        var result = await Handler.Handle(
            new WriteMetricBatchCommand([
                new MetricInput(Run, "loss", 1, 1, null, null),
                new MetricInput(Run, "loss", 2, 1, null, null),
                new MetricInput(other, "acc", 1, 1, null, null),
            ]),
            CancellationToken.None);

        result.Should().Be(new BatchWriteResult("Metrics stored", 3, 3, 0));
        _cache.Verify(c => c.InvalidateAsync(
            It.Is<IReadOnlyCollection<string>>(tags => tags.OrderBy(t => t).SequenceEqual(new[]
            {
                CacheTags.RunMetrics(Run), CacheTags.Metric(Run, "loss"), CacheTags.RunMetrics(other), CacheTags.Metric(other, "acc"),
            }.OrderBy(t => t))),
            It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_pure_retry_changes_nothing_invalidates_nothing_and_publishes_nothing()
    {
        _writer.Setup(w => w.WriteMetricsAsync(It.IsAny<IReadOnlyList<Metric>>(), It.IsAny<IReadOnlyList<RunClaim>>(), It.IsAny<CancellationToken>())).ReturnsAsync([]);

        var result = await Handler.Handle(new WriteMetricBatchCommand([new MetricInput(Run, "loss", 1, 1, DateTimeOffset.UnixEpoch, null)]), CancellationToken.None);

        result.Duplicates.Should().Be(1);
        result.Count.Should().Be(1);
        _cache.Verify(c => c.InvalidateAsync(It.IsAny<IReadOnlyCollection<string>>(), It.IsAny<CancellationToken>()), Times.Never);
        _live.Verify(l => l.Publish(It.IsAny<IReadOnlyList<MetricDto>>()), Times.Never);
    }

    [Fact]
    public async Task Only_new_points_are_published_live_and_only_after_the_cache_is_invalidated()
    {
        var order = new List<string>();
        var fresh = Metric.Create(Run, "loss", 2, 0.5, DateTimeOffset.UnixEpoch, null);
        _writer.Setup(w => w.WriteMetricsAsync(It.IsAny<IReadOnlyList<Metric>>(), It.IsAny<IReadOnlyList<RunClaim>>(), It.IsAny<CancellationToken>())).ReturnsAsync([fresh]);
        _cache.Setup(c => c.InvalidateAsync(It.IsAny<IReadOnlyCollection<string>>(), It.IsAny<CancellationToken>()))
            .Callback(() => order.Add("invalidate")).Returns(ValueTask.CompletedTask);
        IReadOnlyList<MetricDto>? published = null;
        _live.Setup(l => l.Publish(It.IsAny<IReadOnlyList<MetricDto>>()))
            .Callback<IReadOnlyList<MetricDto>>(m => { order.Add("publish"); published = m; });

        await Handler.Handle(
            new WriteMetricBatchCommand([new MetricInput(Run, "loss", 1, 1, DateTimeOffset.UnixEpoch, null), new MetricInput(Run, "loss", 2, 0.5, DateTimeOffset.UnixEpoch, null)]),
            CancellationToken.None);

        published.Should().ContainSingle().Which.Step.Should().Be(2);
        order.Should().Equal("invalidate", "publish");
    }
}
