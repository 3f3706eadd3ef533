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
}

/// <summary>The live connections of this instance, as far as keys are concerned.</summary>
public interface ILiveKeyAccess
{
    /// <summary>The key was revoked: its open live connections end and their further messages are refused.</summary>
    void EndConnectionsOf(Guid keyId);
}
