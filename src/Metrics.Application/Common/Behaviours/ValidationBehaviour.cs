using FluentValidation;
using Mediator;

namespace Metrics.Application.Common.Behaviours;

/// <summary>Runs every validator of the message and rejects it with all failures at once.</summary>
internal sealed class ValidationBehaviour<TMessage, TResponse>(IEnumerable<IValidator<TMessage>> validators, Telemetry.ServiceMetrics? metrics = null)
    : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        List<FluentValidation.Results.ValidationFailure>? failures = null;
        foreach (var validator in validators)
        {
            var result = await validator.ValidateAsync(message, cancellationToken);
            if (!result.IsValid)
            {
                (failures ??= []).AddRange(result.Errors);
            }
        }

        var batch = (message as Telemetry.IIngestBatch)?.PointCount;
        if (batch is not null)
        {
            metrics?.RecordStage("validation", started);
        }

        if (failures is not null)
        {
            if (batch is { } rejected)
            {
                metrics?.CountIngested(rejected, "rejected");
            }

            throw new ValidationException(failures);
        }

        return await next(message, cancellationToken);
    }
}
