using System.Diagnostics;
using Metrics.Application.Common.Telemetry;

namespace Metrics.Application.Common.Behaviours;

/// <summary>
/// Counts each batch's points by outcome (inserted, duplicate, rejected) and times the whole write,
/// validation included; runs outside validation so that rejected batches are counted too.
/// </summary>
internal sealed class IngestTelemetryBehaviour<TMessage, TResponse>(ServiceMetrics telemetry) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (message is not IIngestBatch batch)
        {
            return await next(message, cancellationToken);
        }

        var started = Stopwatch.GetTimestamp();
        TResponse response;
        try
        {
            response = await next(message, cancellationToken);
        }
        catch (ValidationException)
        {
            telemetry.CountIngested(batch.PointCount ?? 0, "rejected");
            throw;
        }

        telemetry.RecordStage("total", started);
        if (response is BatchWriteResult written)
        {
            telemetry.BatchSize.Record(written.Count);
            telemetry.CountIngested(written.Inserted, "inserted");
            telemetry.CountIngested(written.Duplicates, "duplicate");
        }

        return response;
    }
}
