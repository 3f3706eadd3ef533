using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Models;
using Metrics.Application.Metrics;
using Metrics.Application.Metrics.Queries.GetMetricAcrossRuns;
using Metrics.Application.Metrics.Queries.GetRunMetrics;
using Metrics.Domain.Metrics;
using Moq;

namespace Metrics.Application.Tests;

/// <summary>Answers too large to cache are read while they are written, never held whole.</summary>
public sealed class StreamedReadTests
{
    private static readonly Guid Run = Guid.NewGuid();
    private readonly Mock<IMetricReader> _reader = new(MockBehavior.Strict);

    private static async IAsyncEnumerable<Metric> Points(Guid run, string name, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return Metric.Create(run, name, i, i, DateTime.UnixEpoch.AddSeconds(i), null);
        }
    }

    private static async Task<List<MetricDto>> ReadAll(PointStream<MetricDto> stream)
    {
        var points = new List<MetricDto>();
        await foreach (var point in stream)
        {
            points.Add(point);
        }

        return points;
    }

    [Fact]
    public async Task A_large_multi_series_read_is_streamed_and_counted_as_it_is_written()
    {
        _reader.Setup(r => r.StreamSeries(It.Is<IReadOnlyList<SeriesKey>>(s => s.Count == 2), It.IsAny<PointRange>()))
            .Returns(Points(Run, "loss", 3));
        var query = new GetRunMetricsQuery(Run, null, 6000, null, null, null, null, null, ["loss", "acc"]);

        var response = await new GetRunMetricsQueryHandler(_reader.Object).Handle(query, CancellationToken.None);

        response.Metrics.Items.Should().BeNull("the points are read while the response is written");
        response.Count.Should().Be(0);
        (await ReadAll(response.Metrics)).Select(p => p.Step).Should().Equal(0L, 1L, 2L);
        response.Count.Should().Be(3);
        await FluentActions.Awaiting(() => ReadAll(response.Metrics)).Should().ThrowAsync<InvalidOperationException>();
    }

    [Fact]
    public async Task A_cacheable_multi_series_read_is_read_whole()
    {
        _reader.Setup(r => r.GetSeriesAsync(It.IsAny<IReadOnlyList<SeriesKey>>(), It.IsAny<PointRange>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync([Metric.Create(Run, "loss", 1, 1, DateTime.UnixEpoch, null)]);
        var query = new GetRunMetricsQuery(Run, null, 5000, null, null, null, null, null, ["loss", "acc"]);

        var response = await new GetRunMetricsQueryHandler(_reader.Object).Handle(query, CancellationToken.None);

        response.Metrics.Items.Should().HaveCount(1);
        response.Count.Should().Be(1);
    }

    [Fact]
    public async Task A_large_read_across_runs_streams_each_run_in_request_order()
    {
        var other = Guid.NewGuid();
        _reader.Setup(r => r.StreamSeries(It.Is<IReadOnlyList<SeriesKey>>(s => s.Single().RunId == Run), It.IsAny<PointRange>()))
            .Returns(Points(Run, "loss", 2));
        _reader.Setup(r => r.StreamSeries(It.Is<IReadOnlyList<SeriesKey>>(s => s.Single().RunId == other), It.IsAny<PointRange>()))
            .Returns(Points(other, "loss", 0));
        var query = new GetMetricAcrossRunsQuery("loss", [Run, other], 10_000, null, null, null, null, null);

        var response = await new GetMetricAcrossRunsQueryHandler(_reader.Object).Handle(query, CancellationToken.None);

        response.Runs.Select(r => r.RunId).Should().Equal(Run, other);
        response.Runs.Should().OnlyContain(r => r.Metrics.Items == null);
        (await ReadAll(response.Runs[0].Metrics)).Should().HaveCount(2);
        (await ReadAll(response.Runs[1].Metrics)).Should().BeEmpty();
        response.Count.Should().Be(2);
    }

    [Fact]
    public async Task A_stream_whose_query_fails_fails_before_the_response_starts()
    {
        static async IAsyncEnumerable<Metric> Unreachable()
        {
            await Task.Yield();
            throw new TimeoutException("storage unreachable");
#pragma warning disable CS0162 // an iterator needs a yield to be one
            yield break;
#pragma warning restore CS0162
        }

        _reader.Setup(r => r.StreamSeries(It.IsAny<IReadOnlyList<SeriesKey>>(), It.IsAny<PointRange>())).Returns(Unreachable());
        var query = new GetRunMetricsQuery(Run, null, 6000, null, null, null, null, null, ["loss", "acc"]);

        await FluentActions.Awaiting(async () => await new GetRunMetricsQueryHandler(_reader.Object).Handle(query, CancellationToken.None))
            .Should().ThrowAsync<TimeoutException>();
    }
}
