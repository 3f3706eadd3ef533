using System.Collections.Concurrent;
using Metrics.Api.Problems;
using Metrics.Api.Security;
using Metrics.Application.Common.Abstractions;
using Microsoft.AspNetCore.Authentication;

namespace Metrics.Api.Live;

/// <summary>
/// Every open live connection of this instance (hub, over any transport, and raw WebSocket) with
/// the key it was opened with. Bounds them per key (LIVE_CONNECTIONS_PER_KEY) across all instances
/// (counted in Redis; each instance on its own while Redis is away), and ends a revoked key's
/// connections: at once on the instance that revoked it, through <see cref="LiveKeyWatch"/> on the others.
/// </summary>
internal sealed class LiveConnections(RateLimitOptions limits, ISharedConnectionCounts shared) : ILiveKeyAccess
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, HashSet<ILiveConnection>> _byKey = new(StringComparer.Ordinal);

    // Revoked keys this instance has ended connections of: their messages in flight are refused.
    private readonly ConcurrentDictionary<string, byte> _revoked = new(StringComparer.Ordinal);

    public int Limit => limits.LiveConnectionsPerKey;

    /// <summary>Whether a new connection of this key would be over its limit, here or on all instances together.</summary>
    public async ValueTask<bool> IsFullAsync(string? keyId, CancellationToken cancellationToken)
    {
        if (keyId is null || Limit <= 0)
        {
            return false;
        }

        lock (_gate)
        {
            if (_byKey.TryGetValue(keyId, out var open) && open.Count >= Limit)
            {
                return true;
            }
        }

        return await shared.CountAsync(keyId, cancellationToken) >= Limit;
    }

    /// <returns>False (nothing registered) when the key has <see cref="Limit"/> open connections, or was revoked.</returns>
    public async ValueTask<bool> TryOpenAsync(ILiveConnection connection, CancellationToken cancellationToken)
    {
        if (!TryOpenHere(connection))
        {
            return false;
        }

        if (connection.KeyId is { } keyId && Limit > 0 && await shared.TryOpenAsync(keyId, Limit, cancellationToken) == false)
        {
            CloseHere(connection);
            return false;
        }

        return true;
    }

    private bool TryOpenHere(ILiveConnection connection)
    {
        if (connection.KeyId is not { } keyId)
        {
            return true;
        }

        if (IsRevoked(keyId))
        {
            return false;
        }

        lock (_gate)
        {
            if (!_byKey.TryGetValue(keyId, out var open))
            {
                _byKey[keyId] = open = new HashSet<ILiveConnection>(ReferenceEqualityComparer.Instance);
            }

            if (Limit > 0 && open.Count >= Limit)
            {
                return false;
            }

            open.Add(connection);
            return true;
        }
    }

    public void Close(ILiveConnection connection)
    {
        if (CloseHere(connection) && Limit > 0)
        {
            _ = shared.CloseAsync(connection.KeyId!);
        }
    }

    private bool CloseHere(ILiveConnection connection)
    {
        if (connection.KeyId is not { } keyId)
        {
            return false;
        }

        lock (_gate)
        {
            if (!_byKey.TryGetValue(keyId, out var open) || !open.Remove(connection))
            {
                return false;
            }

            if (open.Count == 0)
            {
                _byKey.Remove(keyId);
            }

            return true;
        }
    }

    /// <summary>This instance's open connections per key, restated in Redis so they do not lapse.</summary>
    public ValueTask RestateAsync(CancellationToken cancellationToken)
    {
        Dictionary<string, int> counts;
        lock (_gate)
        {
            counts = _byKey.ToDictionary(k => k.Key, k => k.Value.Count, StringComparer.Ordinal);
        }

        return Limit > 0 && counts.Count > 0 ? shared.RestateAsync(counts, cancellationToken) : ValueTask.CompletedTask;
    }

    /// <summary>The keys that have open connections here.</summary>
    public IReadOnlyList<string> KeyIds()
    {
        lock (_gate)
        {
            return [.. _byKey.Keys];
        }
    }

    public bool IsRevoked(string? keyId) => keyId is not null && _revoked.ContainsKey(keyId);

    /// <summary>The key was revoked: its connections are ended and its messages refused from now on.</summary>
    public void EndConnectionsOf(Guid id)
    {
        var keyId = id.ToString();
        _revoked[keyId] = 0;
        List<ILiveConnection> ending;
        lock (_gate)
        {
            ending = _byKey.Remove(keyId, out var open) ? [.. open] : [];
        }

        foreach (var connection in ending)
        {
            connection.Abort();
        }
    }
}

internal static class LiveAdmission
{
    /// <summary>
    /// A key this instance knows to be revoked gets 401 on every live request, even while its lookup
    /// is still remembered. A key at its limit of open live connections gets 429 when it tries to open another, whatever
    /// the transport (negotiate comes first for long polling and server-sent events).
    /// </summary>
    public static IApplicationBuilder UseLiveAdmission(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var connections = context.RequestServices.GetRequiredService<LiveConnections>();
            var key = ApiKeyAuthenticationHandler.KeyIdOf(context.User);
            if (LiveRoutes.IsLive(context.Request.Path) && connections.IsRevoked(key))
            {
                await context.ChallengeAsync(ApiKeyAuthenticationHandler.SchemeName); // the usual 401 of an unknown or revoked key
                return;
            }

            // SignalR answers a transport request without a connection id in plain text; say it as a problem.
            if (context.Request.Path.Equals(LiveRoutes.Hub, StringComparison.OrdinalIgnoreCase) && !context.Request.Query.ContainsKey("id")
                && !context.WebSockets.IsWebSocketRequest)
            {
                await ProblemWriter.WriteAsync(context, StatusCodes.Status400BadRequest, "Connection id required", $"Negotiate first (POST {LiveRoutes.Hub}/negotiate) and pass its connection id as 'id', or connect with a WebSocket.");
                return;
            }

            if (LiveRoutes.OpensConnection(context.Request) && await connections.IsFullAsync(key, context.RequestAborted))
            {
                await RateLimits.RefuseAsync(context, "live-connections", 5,
                    $"This API key has {connections.Limit} open live connections (LIVE_CONNECTIONS_PER_KEY); close one, or retry after Retry-After seconds.");
                return;
            }

            await next(context);
        });
}
