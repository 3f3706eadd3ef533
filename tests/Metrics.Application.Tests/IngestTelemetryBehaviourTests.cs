using System.Diagnostics.Metrics;
using FluentValidation;
using FluentValidation.Results;
using Metrics.Application.Common.Behaviours;
using Metrics.Application.Common.Models;
using Metrics.Application.Common.Telemetry;
using Metrics.Application.Metrics.Queries.GetMetricStats;
using Metrics.Application.SystemMetrics.Commands.WriteSystemMetricBatch;

namespace Metrics.Application.Tests;

public sealed class IngestTelemetryBehaviourTests : IDisposable
{
    private readonly Meters _meters = new();
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, long Value, string? Outcome)> _recorded = [];
    private readonly IngestTelemetryBehaviour<WriteSystemMetricBatchCommand, BatchWriteResult> _behaviour;

    public IngestTelemetryBehaviourTests()
    {
        _behaviour = new(new ServiceMetrics(_meters));
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == _meters)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Record(i, value, tags));
        _listener.Start();
    }

    [Fact]
    public async Task A_system_metric_batch_is_counted_by_outcome()
    {
        var command = new WriteSystemMetricBatchCommand([Input(), Input(), Input()]);

        await _behaviour.Handle(command, (_, _) => ValueTask.FromResult(new BatchWriteResult("System metrics stored", 3, 2, 1)), CancellationToken.None);

        _recorded.Should().Contain([("metricservice.metrics.ingested", 2, "inserted"), ("metricservice.metrics.ingested", 1, "duplicate"), ("metricservice.batch.size", 3, null)]);
    }

    [Fact]
    public async Task A_rejected_batch_is_counted_as_rejected_and_still_refused()
    {
        var command = new WriteSystemMetricBatchCommand([Input(), Input()]);

        var handle = () => _behaviour.Handle(command, (_, _) => throw new ValidationException([new ValidationFailure("metrics[0].value", "bad")]), CancellationToken.None).AsTask();

        await handle.Should().ThrowAsync<ValidationException>();
        _recorded.Should().Equal(("metricservice.metrics.ingested", 2, "rejected"));
    }

    [Fact]
    public async Task Other_requests_are_not_counted()
    {
        var behaviour = new IngestTelemetryBehaviour<GetMetricStatsQuery, int>(new ServiceMetrics(_meters));

        await behaviour.Handle(new GetMetricStatsQuery(Guid.NewGuid(), "loss"), (_, _) => ValueTask.FromResult(1), CancellationToken.None);

        _recorded.Should().BeEmpty();
    }

    public void Dispose()
    {
        _listener.Dispose();
        _meters.Dispose();
    }

    private static SystemMetricInput Input() => new(Guid.NewGuid(), "cpu_percent", 1, null, null);

    private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? outcome = null;
        foreach (var tag in tags)
        {
            outcome = tag.Key == "outcome" ? tag.Value as string : outcome;
        }

        _recorded.Add((instrument.Name, value, outcome));
    }

    private sealed class Meters : IMeterFactory
    {
        private readonly List<Meter> _created = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _created.Add(meter);
            return meter;
        }

        public void Dispose() => _created.ForEach(m => m.Dispose());
    }
}
