using Metrics.Domain.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

namespace Metrics.Infrastructure.Persistence.Configurations;

internal sealed class MetricConfiguration : IEntityTypeConfiguration<Metric>
{
    public void Configure(EntityTypeBuilder<Metric> builder)
    {
        builder.ToTable("metrics");

        // No surrogate key: points are never updated, and a TimescaleDB hypertable would need
        // every unique key to contain the time column anyway. The identity index below is the key.
        builder.HasNoKey();

        builder.Property(m => m.RunId).HasColumnName("run_id");
        builder.Property(m => m.Name).HasColumnName("metric_name").HasColumnType("text");
        builder.Property(m => m.Step).HasColumnName("step");
        builder.Property(m => m.Value).HasColumnName("value");
        builder.Property(m => m.Time).HasColumnName("time").HasColumnType("timestamptz");
        builder.Property(m => m.Metadata).HasColumnName("metadata").HasColumnType("jsonb");

        // Duplicate detection (ON CONFLICT DO NOTHING) and /latest (step DESC NULLS LAST, time DESC).
        // NULLS NOT DISTINCT: a retried step-less point is a duplicate too.
        builder.HasIndex(m => new { m.RunId, m.Name, m.Step, m.Time })
            .HasDatabaseName("ux_metrics_identity")
            .IsUnique()
            .AreNullsDistinct(false)
            .IsDescending(false, false, true, true)
            .HasNullSortOrder(NullSortOrder.Unspecified, NullSortOrder.Unspecified, NullSortOrder.NullsLast, NullSortOrder.Unspecified);

        // One metric's history by time.
        builder.HasIndex(m => new { m.RunId, m.Name, m.Time }).HasDatabaseName("ix_metrics_run_name_time");

        // A run's metrics by time.
        builder.HasIndex(m => new { m.RunId, m.Time }).HasDatabaseName("ix_metrics_run_time");
    }
}
