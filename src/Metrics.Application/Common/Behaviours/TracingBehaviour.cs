using Metrics.Application.Common.Telemetry;

namespace Metrics.Application.Common.Behaviours;

/// <summary>One span per mediator request (outermost behaviour), so traces show the use case between HTTP and SQL.</summary>
internal sealed class TracingBehaviour<TMessage, TResponse> : IPipelineBehavior<TMessage, TResponse>
    where TMessage : IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        using var span = ServiceMetrics.Spans.StartActivity($"mediator {typeof(TMessage).Name}");
        span?.SetTag("mediator.request", typeof(TMessage).Name);
        try
        {
            return await next(message, cancellationToken);
        }
        catch (Exception ex)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
    }
}
