using Metrics.Application.Common.Telemetry;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Metrics.Infrastructure.Persistence.Replication;

/// <summary>
/// Where one request's reads go: the standby when it has replayed every commit the read must see
/// (<see cref="ReadFreshness"/>), else the primary. Decided at the first read, then kept, so one
/// request never mixes the two.
/// </summary>
internal sealed class ReadRoute(MetricsDbContext primary, NpgsqlDataSource primarySource, StandbyReplay? standby, ServiceMetrics telemetry) : IAsyncDisposable
{
    private MetricsDbContext? _standbyContext;
    private bool? _toStandby;

    public bool ToStandby => _toStandby ??= Decide();

    public MetricsDbContext Db => ToStandby ? _standbyContext ??= StandbyContext() : primary;

    public NpgsqlDataSource DataSource => ToStandby ? standby!.DataSource : primarySource;

    private bool Decide()
    {
        var toStandby = standby is not null && standby.HasReplayed(ReadFreshness.MustSee);
        telemetry.ReadsRouted.Add(1, new KeyValuePair<string, object?>("target", toStandby ? "standby" : "primary"));
        return toStandby;
    }

    private MetricsDbContext StandbyContext() => new(new DbContextOptionsBuilder<MetricsDbContext>()
        .UseNpgsql(standby!.DataSource)
        .UseQueryTrackingBehavior(QueryTrackingBehavior.NoTracking)
        .Options);

    public async ValueTask DisposeAsync()
    {
        if (_standbyContext is not null)
        {
            await _standbyContext.DisposeAsync();
        }
    }
}
