namespace Metrics.Api.Live;

/// <summary>Where live connections are opened: the SignalR hub and the old raw WebSocket endpoint.</summary>
internal static class LiveRoutes
{
    public const string HubsPrefix = "/hubs";
    public const string Hub = HubsPrefix + "/metrics";
    public const string RawWebSocket = RawWebSocketPrefix + "/metrics/{run_id}";

    private const string RawWebSocketPrefix = "/ws";

    /// <summary>A request of a live endpoint, SignalR's negotiate and transport requests included.</summary>
    public static bool IsLive(PathString path) => path.StartsWithSegments(HubsPrefix) || path.StartsWithSegments(RawWebSocketPrefix);

    /// <summary>
    /// A request that opens a new live connection: negotiate, a hub connect without negotiating, a raw
    /// WebSocket. A SignalR request with a connection id belongs to an open connection (a poll, a send,
    /// the client's closing DELETE).
    /// </summary>
    public static bool OpensConnection(HttpRequest request) =>
        IsLive(request.Path) && !(request.Path.StartsWithSegments(HubsPrefix) && request.Query.ContainsKey("id"));
}
