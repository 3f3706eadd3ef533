using Mediator;
using Metrics.Application.Common;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Behaviours;
using Metrics.Application.Common.Models;
using Metrics.Domain.Metrics;

namespace Metrics.Application.Metrics.Commands.WriteMetricBatch;

internal sealed class WriteMetricBatchCommandHandler(IMetricWriter writer, IQueryCache cache, ILiveMetricPublisher live, TimeProvider clock)
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

        var inserted = await writer.WriteMetricsAsync(metrics, cancellationToken);
        if (inserted.Count > 0)
        {
            // Committed by now: readers and subscribers may learn of it.
            await cache.InvalidateAsync(TagsChangedBy(inserted), cancellationToken);
            live.Publish(inserted.ToDtos());
        }

        return new BatchWriteResult("Metrics stored", metrics.Length, inserted.Count, metrics.Length - inserted.Count);
    }

    /// <summary>Exactly the cached reads this batch can change: each run's listing and each series written.</summary>
    private static HashSet<string> TagsChangedBy(IReadOnlyList<Metric> metrics)
    {
        var tags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var metric in metrics)
        {
            tags.Add(CacheTags.RunMetrics(metric.RunId));
            tags.Add(CacheTags.Metric(metric.RunId, metric.Name));
        }

        return tags;
    }
}
