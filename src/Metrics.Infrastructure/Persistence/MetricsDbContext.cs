using Metrics.Domain.Metrics;
using Metrics.Domain.SystemMetrics;
using Microsoft.EntityFrameworkCore;

namespace Metrics.Infrastructure.Persistence;

/// <summary>The schema and the read side. Writes bypass it (binary COPY in <see cref="Writes.MetricWriter"/>).</summary>
public sealed class MetricsDbContext(DbContextOptions<MetricsDbContext> options) : DbContext(options)
{
    public DbSet<Metric> Metrics => Set<Metric>();

    public DbSet<SystemMetric> SystemMetrics => Set<SystemMetric>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(MetricsDbContext).Assembly);
}
