using Metrics.Api.Security;
using Microsoft.AspNetCore.SignalR;

namespace Metrics.Api.Live;

/// <summary>
/// Every hub call is a request of its key: refused once the key is revoked (and the connection
/// ended), and counted against the key's requests per second (RATE_LIMIT_REQUESTS).
/// </summary>
internal sealed class LiveMessageLimits(LiveConnections connections, RateLimits.RequestQuota quota) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (await RefusalAsync(connections, quota, ApiKeyAuthenticationHandler.KeyIdOf(context.Context.User!), context.Context.ConnectionAborted) is { } refusal)
        {
            if (refusal.Revoked)
            {
                context.Context.Abort();
            }

            throw new HubException(refusal.Message);
        }

        return await next(context);
    }

    /// <summary>Why a live message of this key is refused; null when it may go ahead (it is then counted).</summary>
    public static async ValueTask<(bool Revoked, string Message)?> RefusalAsync(LiveConnections connections, RateLimits.RequestQuota quota, string? keyId, CancellationToken cancellationToken)
    {
        if (connections.IsRevoked(keyId))
        {
            return (true, "This API key was revoked.");
        }

        using var lease = await quota.AcquireForKeyAsync(keyId, cancellationToken);
        return lease.IsAcquired
            ? null
            : (false, $"Too many requests for this API key (RATE_LIMIT_REQUESTS); retry after {RateLimits.RetryAfterSeconds(lease)} s.");
    }
}
