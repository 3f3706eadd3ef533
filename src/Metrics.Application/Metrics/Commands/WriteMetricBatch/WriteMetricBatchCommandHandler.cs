using Metrics.Application.Common;
using Metrics.Application.Common.Telemetry;
using Metrics.Domain.Metrics;

namespace Metrics.Application.Metrics.Commands.WriteMetricBatch;

internal sealed class WriteMetricBatchCommandHandler(
    IMetricWriter writer, IQueryCache cache, ILiveMetricPublisher live, ICaller caller, TimeProvider clock, ServiceMetrics telemetry)
    : ICommandHandler<WriteMetricBatchCommand, BatchWriteResult>
{
    public async ValueTask<BatchWriteResult> Handle(WriteMetricBatchCommand command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var inputs = command.Metrics!;
        var metrics = new Metric[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i]!;
            metrics[i] = Metric.Create(
                input.RunId!.Value,
                input.MetricName!,
                input.Step,
                input.Value!.Value,
                input.Time ?? now,
                MetadataRules.ToStored(input.Metadata));
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var inserted = await writer.WriteMetricsAsync(metrics, RunClaim.For(caller.Project, metrics.Select(m => m.RunId)), cancellationToken);
        telemetry.RecordStage("database", started);
        if (inserted.Count > 0)
        {
            // Committed by now: readers and subscribers may learn of it.
            started = System.Diagnostics.Stopwatch.GetTimestamp();
            await cache.InvalidateAsync(TagsChangedBy(inserted), cancellationToken);
            live.Publish(inserted.ToDtos());
            telemetry.RecordStage("publish", started);
        }

        return new BatchWriteResult("Metrics stored", metrics.Length, inserted.Count, metrics.Length - inserted.Count);
    }

    /// <summary>Exactly the cached reads this batch can change: each run's listing and each series written.</summary>
    private static HashSet<string> TagsChangedBy(IReadOnlyList<Metric> metrics)
    {
        // Distinct series first: a tag string per point cost 5 % of the service's CPU.
        var series = new HashSet<(Guid RunId, string Name)>();
        foreach (var metric in metrics)
        {
            series.Add((metric.RunId, metric.Name));
        }

        var tags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (run, name) in series)
        {
            tags.Add(CacheTags.RunMetrics(run));
            tags.Add(CacheTags.Metric(run, name));
        }

        return tags;
    }
}
