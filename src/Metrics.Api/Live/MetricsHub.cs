using Mediator;
using Metrics.Api.Security;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Exceptions;
using Metrics.Application.Common.Telemetry;
using Metrics.Application.Runs.Queries.CheckRunAccess;
using Metrics.Domain.Keys;
using Metrics.Domain.Metrics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace Metrics.Api.Live;

/// <summary>What the server calls on SignalR clients.</summary>
public interface IMetricsClient
{
    /// <summary>The client event <c>metrics</c>: new points of a followed run.</summary>
    [HubMethodName("metrics")]
    Task Metrics(LiveMetricsMessage message);
}

/// <param name="Seq">Increases by one per batch of the run; a jump means missed batches (backfill over REST).</param>
/// <param name="Metrics">The new points in the REST shape (<c>MetricDto</c>), serialized once for all receivers.</param>
public sealed record LiveMetricsMessage(Guid RunId, long Seq, RawJson Metrics);

/// <summary>
/// Live metrics at /hubs/metrics. A connection may follow several runs, each with its own
/// metric-name filter; it receives one <c>metrics</c> event per batch written to a followed run.
/// Connecting needs the metrics:read scope (browsers send the key as <c>access_token</c>).
/// </summary>
[Authorize(Policy = ApiScopes.Read)]
internal sealed class MetricsHub(
    LiveSubscribers subscribers, LiveConnections connections, IHubContext<MetricsHub, IMetricsClient> hub, ISender sender, RequestCaller caller,
    ServiceMetrics telemetry, LiveShutdown shutdown, ILiveRunInterest interest)
    : Hub<IMetricsClient>
{
    private const int QueueCapacity = 256;
    private static readonly KeyValuePair<string, object?> Protocol = new("protocol", "signalr");

    /// <param name="metricNames">Null or empty: every metric of the run.</param>
    public async Task SubscribeToRun(string runId, string[]? metricNames)
    {
        var run = ParseRun(runId);
        if (metricNames is not null && !metricNames.All(MetricRules.IsValidName))
        {
            throw new HubException("metricNames holds an invalid metric name.");
        }

        caller.User = Context.User;
        try
        {
            await sender.Send(new CheckRunAccessQuery(run), Context.ConnectionAborted);
        }
        catch (ForbiddenException e)
        {
            throw new HubException(e.Message);
        }

        if (!subscribers.Subscribe(run, CurrentConnection(), metricNames?.ToHashSet(StringComparer.Ordinal)))
        {
            throw new HubException(LiveSubscribers.TooManyRunsMessage);
        }

        // Followed across instances before the call returns: from then on nothing is missed.
        await interest.FollowAsync(run, Context.ConnectionAborted);
    }

    public Task UnsubscribeFromRun(string runId)
    {
        subscribers.Unsubscribe(ParseRun(runId), CurrentConnection());
        return Task.CompletedTask;
    }

    public override async Task OnConnectedAsync()
    {
        // Every transport counts against the key's limit (negotiate is refused earlier, with a 429,
        // but several negotiations can race to here).
        var connection = new Connection(Context, hub.Clients.Client(Context.ConnectionId));
        if (!await connections.TryOpenAsync(connection, Context.ConnectionAborted))
        {
            throw new HubException($"This API key has {connections.Limit} open live connections (LIVE_CONNECTIONS_PER_KEY), or was revoked.");
        }

        Context.Items[typeof(Connection)] = connection;
        _ = connection.RunSendLoopAsync(Context.ConnectionAborted);
        telemetry.LiveConnections.Add(1, Protocol);
        shutdown.Add(Context);
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(typeof(Connection), out var value) && value is Connection connection)
        {
            telemetry.LiveConnections.Add(-1, Protocol);
            shutdown.Remove(Context);
            subscribers.Remove(connection);
            connections.Close(connection);
            connection.Complete();
        }

        return base.OnDisconnectedAsync(exception);
    }

    private static Guid ParseRun(string runId) =>
        Guid.TryParse(runId, out var run) && run != Guid.Empty ? run : throw new HubException($"'{runId}' is not a valid run id.");

    private Connection CurrentConnection() => (Connection)Context.Items[typeof(Connection)]!;

    private sealed class Connection(HubCallerContext context, IMetricsClient client)
        : LiveConnection<LiveMetricsMessage>(QueueCapacity, ApiKeyAuthenticationHandler.KeyIdOf(context.User!))
    {
        public override void Abort() => context.Abort();

        protected override LiveMetricsMessage ToMessage(LivePayload payload) => new(payload.RunId, payload.Seq, payload.Metrics);

        protected override Task SendAsync(LiveMetricsMessage message, CancellationToken cancellationToken) => client.Metrics(message);
    }
}
