using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Metrics.Infrastructure.Persistence.Replication;

/// <summary>
/// Where one request's reads go: the standby when it has replayed every commit the read must see
/// (<see cref="ReadFreshness"/>), else the primary. Decided at the first read, then kept, so one
/// request never mixes the two.
/// </summary>
internal sealed class ReadRoute(MetricsDbContext primary, NpgsqlDataSource primarySource, StandbyReplay? standby) : IAsyncDisposable
{
    private MetricsDbContext? _standbyContext;
    private bool? _toStandby;

    public bool ToStandby => _toStandby ??= standby is not null && standby.HasReplayed(ReadFreshness.MustSee);

    public MetricsDbContext Db => ToStandby ? _standbyContext ??= StandbyContext() : primary;

    public NpgsqlDataSource DataSource => ToStandby ? standby!.DataSource : primarySource;

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
