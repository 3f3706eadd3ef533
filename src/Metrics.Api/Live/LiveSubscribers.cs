using System.Collections.Concurrent;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Live;

namespace Metrics.Api.Live;

/// <summary>
/// Who on this instance follows which run, and with which metric-name filter. Delivery hands
/// each subscriber exactly one message per run batch, narrowed to its filter.
/// </summary>
internal sealed partial class LiveSubscribers(ILogger<LiveSubscribers> logger, Metrics.Application.Common.Telemetry.ServiceMetrics? telemetry = null) : ILiveMetricDelivery
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<ILiveConnection, IReadOnlySet<string>?>> _byRun = new();

    /// <param name="names">Null or empty: every metric of the run.</param>
    public void Subscribe(Guid runId, ILiveConnection connection, IReadOnlySet<string>? names) =>
        _byRun.GetOrAdd(runId, _ => new())[connection] = names is { Count: > 0 } ? names : null;

    public void Unsubscribe(Guid runId, ILiveConnection connection)
    {
        if (_byRun.TryGetValue(runId, out var subscribers))
        {
            subscribers.TryRemove(connection, out _);
        }
    }

    public void Remove(ILiveConnection connection)
    {
        foreach (var subscribers in _byRun.Values)
        {
            subscribers.TryRemove(connection, out _);
        }
    }

    public void Deliver(LiveMetricBatch batch)
    {
        if (!_byRun.TryGetValue(batch.RunId, out var subscribers))
        {
            return;
        }

        // Serialized once per distinct filter, not once per connection.
        var payloads = new Dictionary<string, LivePayload>(StringComparer.Ordinal);
        foreach (var (connection, names) in subscribers)
        {
            var key = names is null ? string.Empty : string.Join('\n', names.Order(StringComparer.Ordinal));
            if (!payloads.TryGetValue(key, out var payload))
            {
                // Filtered subscribers get the batch's seq even when none of their names is in it,
                // so a jump in seq always means a missed message.
                payloads[key] = payload = new LivePayload(batch.Only(names), DependencyInjection.WireJson);
            }

            var queued = connection.TryDeliver(payload);
            telemetry?.LiveMessages.Add(1, new KeyValuePair<string, object?>("result", queued ? "queued" : "dropped"));
            telemetry?.LiveQueueDepth.Record(connection.QueueDepth);
            if (!queued)
            {
                LogSlowSubscriber(logger, batch.RunId);
                Remove(connection);
                connection.Abort();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropped a live subscriber of run {RunId}: its send queue is full")]
    private static partial void LogSlowSubscriber(ILogger logger, Guid runId);
}
