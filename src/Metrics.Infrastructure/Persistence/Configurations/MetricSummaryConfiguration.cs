using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Metrics.Infrastructure.Persistence.Configurations;

internal sealed class MetricSummaryConfiguration : IEntityTypeConfiguration<MetricSummary>
{
    public void Configure(EntityTypeBuilder<MetricSummary> builder)
    {
        builder.ToTable("metric_summaries");
        builder.HasKey(s => new { s.RunId, s.MetricName });

        builder.Property(s => s.RunId).HasColumnName("run_id");
        builder.Property(s => s.MetricName).HasColumnName("metric_name").HasColumnType("text");
        builder.Property(s => s.Count).HasColumnName("count");
        builder.Property(s => s.FiniteCount).HasColumnName("finite_count");
        builder.Property(s => s.NanCount).HasColumnName("nan_count");
        builder.Property(s => s.InfCount).HasColumnName("inf_count");
        builder.Property(s => s.MinValue).HasColumnName("min_value");
        builder.Property(s => s.MaxValue).HasColumnName("max_value");

        // Unconstrained numeric: exact sums, no overflow; read back through SQL, never as decimal.
        builder.Property(s => s.Mean).HasColumnName("mean").HasColumnType("numeric");
        builder.Property(s => s.M2).HasColumnName("m2").HasColumnType("numeric");
        builder.Property(s => s.FirstTime).HasColumnName("first_time").HasColumnType("timestamptz");
        builder.Property(s => s.LastTime).HasColumnName("last_time").HasColumnType("timestamptz");
        builder.Property(s => s.LatestStep).HasColumnName("latest_step");
        builder.Property(s => s.LatestTime).HasColumnName("latest_time").HasColumnType("timestamptz");
        builder.Property(s => s.LatestValue).HasColumnName("latest_value");
        builder.Property(s => s.LatestMetadata).HasColumnName("latest_metadata").HasColumnType("jsonb");
    }
}
