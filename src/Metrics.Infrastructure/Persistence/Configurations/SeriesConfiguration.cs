using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Metrics.Infrastructure.Persistence.Configurations;

internal sealed class SeriesConfiguration : IEntityTypeConfiguration<Series>
{
    public void Configure(EntityTypeBuilder<Series> builder)
    {
        builder.ToTable("series");
        builder.HasKey(s => s.SeriesId);
        builder.Property(s => s.SeriesId).HasColumnName("series_id").UseIdentityByDefaultColumn();
        builder.Property(s => s.RunId).HasColumnName("run_id");
        builder.Property(s => s.MetricName).HasColumnName("metric_name").HasColumnType("text");

        // Insert-or-get of a series (ON CONFLICT DO NOTHING) and a run's series.
        builder.HasIndex(s => new { s.RunId, s.MetricName }).HasDatabaseName("ux_series_run_name").IsUnique();
    }
}

internal sealed class SeriesPointConfiguration : IEntityTypeConfiguration<SeriesPoint>
{
    public void Configure(EntityTypeBuilder<SeriesPoint> builder)
    {
        builder.ToTable("points");

        // No surrogate key (a hypertable's unique keys must contain time): the identity index is the key.
        builder.HasNoKey();
        builder.Property(p => p.SeriesId).HasColumnName("series_id");
        builder.Property(p => p.Step).HasColumnName("step");
        builder.Property(p => p.Time).HasColumnName("time").HasColumnType("timestamptz");
        builder.Property(p => p.Value).HasColumnName("value");
        builder.Property(p => p.Metadata).HasColumnName("metadata").HasColumnType("jsonb");

        // The identity: duplicate detection, and every read by step (downsampling, step ranges).
        // NULLS NOT DISTINCT: a retried step-less point is a duplicate too.
        builder.HasIndex(p => new { p.SeriesId, p.Step, p.Time })
            .HasDatabaseName("ux_points_identity")
            .IsUnique()
            .AreNullsDistinct(false);

        // History by time (the API's order): without it a 1000-point page of a long series sorts
        // the whole series (ADR 0021 has the EXPLAIN ANALYZE).
        builder.HasIndex(p => new { p.SeriesId, p.Time }).HasDatabaseName("ix_points_series_time");
    }
}
