using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Behaviours;
using Metrics.Application.Common.Models;
using Metrics.Application.Metrics;
using Metrics.Application.Metrics.Commands.WriteMetricBatch;
using Metrics.Domain.Metrics;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace Metrics.Application.Tests;

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
