using Metrics.Application.Common.Telemetry;

namespace Metrics.Application.Common.Behaviours;

internal sealed class CachingBehaviour<TMessage, TResponse>(IQueryCache cache, ServiceMetrics? metrics = null) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : ICachedQuery, IMessage
{
    public async ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken)
    {
        if (!message.IsCacheable)
        {
            return await next(message, cancellationToken);
        }

        // A miss is a call of the factory; anything else was served from the cache.
        var missed = false;
        var response = await cache.GetOrCreateAsync(message.CacheKey, message.DependsOn, ct => { missed = true; return next(message, ct); }, cancellationToken);
        metrics?.CacheLookups.Add(1, new("kind", typeof(TMessage).Name), new("result", missed ? "miss" : "hit"));
        return response;
    }
}
