using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Metrics.Application.Common.Telemetry;

/// <summary>
/// The service's own instruments (meter "MetricService") and its span source. Prometheus names
/// follow from these: dots become underscores, counters get <c>_total</c>, seconds get <c>_seconds</c>.
/// </summary>
public sealed class ServiceMetrics
{
    public const string Name = "MetricService";

    /// <summary>Spans of the mediator pipeline, one per request.</summary>
    public static readonly ActivitySource Spans = new(Name);

    public ServiceMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(Name);
        Ingested = meter.CreateCounter<long>("metricservice.metrics.ingested", "{metric}", "Metrics and system metrics in write batches, by outcome: inserted, duplicate (already stored), rejected (invalid batch).");
        BatchSize = meter.CreateHistogram<int>("metricservice.batch.size", "{metric}", "Metrics (or system metrics) per accepted write batch.");
        WriteDuration = meter.CreateHistogram<double>("metricservice.write.duration", "s", "Time of a batch write: total (validation included), and its stages database and publish.");
        CacheLookups = meter.CreateCounter<long>("metricservice.cache.lookups", "{lookup}", "Cached reads, by query kind and result: hit or miss.");
        LiveConnections = meter.CreateUpDownCounter<long>("metricservice.live.connections", "{connection}", "Open live connections, by protocol: signalr or websocket.");
        LiveMessages = meter.CreateCounter<long>("metricservice.live.messages", "{message}", "Live batches for subscribers, by result: queued (to be sent) or dropped (queue full).");
        LiveQueueDepth = meter.CreateHistogram<int>("metricservice.live.queue.depth", "{message}", "A connection's send queue when a batch is queued for it.");
        WriteGroups = meter.CreateCounter<long>("metricservice.write.groups", "{group}", "Group-commit transactions of points, by path: copy (straight in), insert (a point may be stored: INSERT … ON CONFLICT), copy_conflict (COPY met a stored point, redone by insert).");
        ReadsRouted = meter.CreateCounter<long>("metricservice.reads.routed", "{read}", "Storage reads (cache misses included), by target: primary, or standby (READ_FROM_STANDBY, when it had replayed what the read must see).");
        RateLimited = meter.CreateCounter<long>("metricservice.rate_limit.rejections", "{request}", "Requests refused with 429, by limit: requests, metrics, concurrency.");
    }

    public Counter<long> Ingested { get; }

    public Histogram<int> BatchSize { get; }

    public Histogram<double> WriteDuration { get; }

    public Counter<long> CacheLookups { get; }

    public UpDownCounter<long> LiveConnections { get; }

    public Counter<long> LiveMessages { get; }

    public Histogram<int> LiveQueueDepth { get; }

    public Counter<long> RateLimited { get; }

    public Counter<long> ReadsRouted { get; }

    public Counter<long> WriteGroups { get; }

    /// <param name="outcome">inserted, duplicate or rejected.</param>
    public void CountIngested(long count, string outcome) =>
        Ingested.Add(count, new KeyValuePair<string, object?>("outcome", outcome));

    public void RecordStage(string stage, long startedTimestamp) =>
        WriteDuration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, new KeyValuePair<string, object?>("stage", stage));
}
