using Metrics.Domain.SystemMetrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Metrics.Infrastructure.Persistence.Configurations;

internal sealed class SystemMetricConfiguration : IEntityTypeConfiguration<SystemMetric>
{
    public void Configure(EntityTypeBuilder<SystemMetric> builder)
    {
        builder.ToTable("system_metrics");
        builder.HasNoKey();

        builder.Property(m => m.RunId).HasColumnName("run_id");
        builder.Property(m => m.Type).HasColumnName("metric_type").HasColumnType("text");
        builder.Property(m => m.Value).HasColumnName("value");
        builder.Property(m => m.Time).HasColumnName("time").HasColumnType("timestamptz");
        builder.Property(m => m.Metadata).HasColumnName("metadata").HasColumnType("jsonb");

        builder.HasIndex(m => new { m.RunId, m.Time }).HasDatabaseName("ix_system_metrics_run_time");

        // The identity index (run, type, time, metadata) is an expression index created in the
        // migration's SQL: EF has no word for md5(metadata::text).
    }
}
