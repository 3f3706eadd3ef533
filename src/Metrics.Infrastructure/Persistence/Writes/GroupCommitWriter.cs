using System.Diagnostics;
using System.Threading.Channels;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Common.Models;
using Metrics.Application.Common.Telemetry;
using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;
using Microsoft.Extensions.Hosting;

namespace Metrics.Infrastructure.Persistence.Writes;

/// <summary>
/// Group commit for the metric write path. Concurrent requests queue their batches; a few writer
/// loops each take whatever is waiting (up to <see cref="MaxRowsPerGroup"/> rows) and store it in
/// one transaction, so the per-transaction costs (round trips, commit, WAL flush) are shared. Each
/// request is acknowledged only after the transaction holding its rows has committed, and learns
/// which of its own points were new. A group that fails is retried request by request, so one
/// failing request cannot fail the others. With nothing else waiting, a request is written at once.
/// </summary>
internal sealed class GroupCommitWriter(MetricWriter inner) : BackgroundService, IMetricWriter
{
    private const int MaxRowsPerGroup = 20_000;

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });

    public Task<IReadOnlyList<Metric>> WriteMetricsAsync(IReadOnlyList<Metric> metrics, IReadOnlyList<RunClaim> claims, CancellationToken cancellationToken)
    {
        // Once queued, the write completes even if the caller goes away: the caller's follow-up
        // (cache invalidation, live publish) must not be skipped for rows that did commit.
        var pending = new Pending(metrics, claims, new TaskCompletionSource<IReadOnlyList<Metric>>(TaskCreationOptions.RunContinuationsAsynchronously), Activity.Current?.Context);
        if (!_queue.Writer.TryWrite(pending))
        {
            return inner.WriteMetricsAsync(metrics, claims, cancellationToken);
        }

        return pending.Done.Task;
    }

    public Task<int> WriteSystemMetricsAsync(IReadOnlyList<SystemMetric> metrics, IReadOnlyList<RunClaim> claims, CancellationToken cancellationToken) =>
        inner.WriteSystemMetricsAsync(metrics, claims, cancellationToken);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // A few concurrent groups keep PostgreSQL busy while the next group forms.
        Task.WhenAll(Enumerable.Range(0, Math.Max(2, Environment.ProcessorCount)).Select(_ => WriteLoopAsync(stoppingToken)));

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Finish what was accepted before shutting down.
        _queue.Writer.TryComplete();
        await base.StopAsync(cancellationToken);
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var group = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync(CancellationToken.None))
        {
            group.Clear();
            var rows = 0;
            while (rows < MaxRowsPerGroup && _queue.Reader.TryRead(out var pending))
            {
                group.Add(pending);
                rows += pending.Metrics.Count;
            }

            if (group.Count > 0)
            {
                await WriteGroupAsync(group);
            }
        }
    }

    private async Task WriteGroupAsync(List<Pending> group)
    {
        // The group's database work belongs to the first request's trace, linked to the others'.
        using var span = ServiceMetrics.Spans.StartActivity(
            "group commit", ActivityKind.Internal, group[0].Trace ?? default,
            links: group.Skip(1).Where(p => p.Trace is not null).Select(p => new ActivityLink(p.Trace!.Value)));
        span?.SetTag("metricservice.group.batches", group.Count);
        if (group.Count == 1)
        {
            await WriteOneAsync(group[0]);
            return;
        }

        IReadOnlyList<Metric> inserted;
        try
        {
            inserted = await inner.WriteMetricsAsync(group.SelectMany(p => p.Metrics).ToList(), group.SelectMany(p => p.Claims).ToList(), CancellationToken.None);
        }
        catch (Exception)
        {
            foreach (var pending in group)
            {
                await WriteOneAsync(pending);
            }

            return;
        }

        // The inner writer returns the new points themselves (same instances), in input order.
        var fresh = new HashSet<Metric>(inserted, ReferenceEqualityComparer.Instance);
        foreach (var pending in group)
        {
            pending.Done.SetResult(pending.Metrics.Where(fresh.Contains).ToList());
        }
    }

    private async Task WriteOneAsync(Pending pending)
    {
        try
        {
            pending.Done.SetResult(await inner.WriteMetricsAsync(pending.Metrics, pending.Claims, CancellationToken.None));
        }
        catch (Exception ex)
        {
            pending.Done.SetException(ex);
        }
    }

    private sealed record Pending(IReadOnlyList<Metric> Metrics, IReadOnlyList<RunClaim> Claims, TaskCompletionSource<IReadOnlyList<Metric>> Done, ActivityContext? Trace);
}
