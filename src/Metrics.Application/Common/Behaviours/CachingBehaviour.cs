using Mediator;
using Metrics.Application.Common.Abstractions;

namespace Metrics.Application.Common.Behaviours;

internal sealed class CachingBehaviour<TMessage, TResponse>(IQueryCache cache) : IPipelineBehavior<TMessage, TResponse>
    where TMessage : ICachedQuery, IMessage
{
    public ValueTask<TResponse> Handle(TMessage message, MessageHandlerDelegate<TMessage, TResponse> next, CancellationToken cancellationToken) =>
        cache.GetOrCreateAsync(message.CacheKey, message.CacheTags, ct => next(message, ct), cancellationToken);
}
