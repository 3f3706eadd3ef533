using System.Collections.Concurrent;
using Metrics.Api.Wire;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Telemetry;
using Metrics.Application.Live;

namespace Metrics.Api.Live;

/// <summary>
/// Who on this instance follows which run, and with which metric-name filter. Delivery hands
/// each subscriber exactly one message per run batch, narrowed to its filter. A connection follows
/// at most <see cref="MaxRunsPerConnection"/> runs; a run's entry goes with its last subscriber, and
/// a disconnect costs what that connection subscribed to, not what the instance ever saw.
/// </summary>
internal sealed partial class LiveSubscribers(ILogger<LiveSubscribers> logger, ServiceMetrics? telemetry = null) : ILiveMetricDelivery
{
    public const int MaxRunsPerConnection = 100;

    public static readonly string TooManyRunsMessage = $"A connection follows at most {MaxRunsPerConnection} runs; unsubscribe from one first.";

    // Changes are serialized by the gate; delivery reads _byRun without it.
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<ILiveConnection, IReadOnlySet<string>?>> _byRun = new();
    private readonly Dictionary<ILiveConnection, HashSet<Guid>> _byConnection = new(ReferenceEqualityComparer.Instance);

    /// <summary>Runs with at least one subscriber here.</summary>
    public int RunCount => _byRun.Count;

    public IReadOnlyCollection<Guid> FollowedRuns => (IReadOnlyCollection<Guid>)_byRun.Keys;

    /// <param name="names">Null or empty: every metric of the run.</param>
    /// <returns>False when the connection already follows <see cref="MaxRunsPerConnection"/> other runs.</returns>
    public bool Subscribe(Guid runId, ILiveConnection connection, IReadOnlySet<string>? names)
    {
        lock (_gate)
        {
            if (!_byConnection.TryGetValue(connection, out var runs))
            {
                _byConnection[connection] = runs = [];
            }

            if (!runs.Contains(runId) && runs.Count >= MaxRunsPerConnection)
            {
                return false;
            }

            runs.Add(runId);
            _byRun.GetOrAdd(runId, _ => new(ReferenceEqualityComparer.Instance))[connection] = names is { Count: > 0 } ? names : null;
            return true;
        }
    }

    public void Unsubscribe(Guid runId, ILiveConnection connection)
    {
        lock (_gate)
        {
            if (_byConnection.TryGetValue(connection, out var runs) && runs.Remove(runId))
            {
                Detach(runId, connection);
                if (runs.Count == 0)
                {
                    _byConnection.Remove(connection);
                }
            }
        }
    }

    public void Remove(ILiveConnection connection)
    {
        lock (_gate)
        {
            if (_byConnection.Remove(connection, out var runs))
            {
                foreach (var run in runs)
                {
                    Detach(run, connection);
                }
            }
        }
    }

    private void Detach(Guid runId, ILiveConnection connection)
    {
        if (_byRun.TryGetValue(runId, out var subscribers) && subscribers.TryRemove(connection, out _) && subscribers.IsEmpty)
        {
            _byRun.TryRemove(runId, out _);
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
                payloads[key] = payload = new LivePayload(batch.Only(names), WireJson.Options);
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
