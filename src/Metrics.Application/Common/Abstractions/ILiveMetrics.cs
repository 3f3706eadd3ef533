using Metrics.Application.Live;
using Metrics.Application.Metrics;

namespace Metrics.Application.Common.Abstractions;

/// <summary>The write side of live updates: hands committed points over for delivery.</summary>
public interface ILiveMetricPublisher
{
    /// <summary>
    /// Never blocks and never fails the caller: delivery happens off the request path. Only points
    /// that were committed (and were new) are passed in.
    /// </summary>
    void Publish(IReadOnlyList<MetricDto> metrics);
}

/// <summary>The receive side: delivers a sequenced batch to the subscribers connected to this instance.</summary>
public interface ILiveMetricDelivery
{
    void Deliver(LiveMetricBatch batch);

    /// <summary>The runs that at least one connection of this instance follows.</summary>
    IReadOnlyCollection<Guid> FollowedRuns { get; }
}

/// <summary>
/// Live updates cost the write path only for runs someone follows: a run's batches are published
/// only while some instance has said it follows the run.
/// </summary>
public interface ILiveRunInterest
{
    /// <summary>
    /// Called when a connection here starts following <paramref name="runId"/>, before it is told
    /// so: once this completes, every batch of the run committed from then on reaches this instance.
    /// Never fails the caller (without Redis, batches are delivered locally anyway).
    /// </summary>
    ValueTask FollowAsync(Guid runId, CancellationToken cancellationToken);
}

/// <summary>The live connections of this instance, as far as keys are concerned.</summary>
public interface ILiveKeyAccess
{
    /// <summary>The key was revoked: its open live connections end and their further messages are refused.</summary>
    void EndConnectionsOf(Guid keyId);
}
