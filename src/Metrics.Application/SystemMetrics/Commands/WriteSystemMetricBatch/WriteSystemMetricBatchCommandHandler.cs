using Metrics.Application.Common;
using Metrics.Domain.SystemMetrics;

namespace Metrics.Application.SystemMetrics.Commands.WriteSystemMetricBatch;

internal sealed class WriteSystemMetricBatchCommandHandler(IMetricWriter writer, IQueryCache cache, ICaller caller, TimeProvider clock)
    : ICommandHandler<WriteSystemMetricBatchCommand, BatchWriteResult>
{
    public async ValueTask<BatchWriteResult> Handle(WriteSystemMetricBatchCommand command, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var inputs = command.Metrics!;
        var metrics = new SystemMetric[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i]!;
            SystemMetricTypes.TryParse(input.MetricType, out var type);
            metrics[i] = SystemMetric.Create(input.RunId!.Value, type, input.Value!.Value, input.Time ?? now, MetadataRules.ToStored(input.Metadata));
        }

        var inserted = await writer.WriteSystemMetricsAsync(metrics, RunClaim.For(caller.Project, metrics.Select(m => m.RunId)), cancellationToken);
        if (inserted > 0)
        {
            var tags = metrics.Select(m => CacheTags.RunSystemMetrics(m.RunId)).ToHashSet(StringComparer.Ordinal);
            await cache.InvalidateAsync(tags, cancellationToken);
        }

        return new BatchWriteResult("System metrics stored", metrics.Length, inserted, metrics.Length - inserted);
    }
}
