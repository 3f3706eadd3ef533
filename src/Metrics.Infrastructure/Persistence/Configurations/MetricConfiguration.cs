using Metrics.Domain.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Metrics.Infrastructure.Persistence.Configurations;

internal sealed class MetricConfiguration : IEntityTypeConfiguration<Metric>
{
    public void Configure(EntityTypeBuilder<Metric> builder)
    {
        // A view (series ⋈ points, migration SeriesAndPoints): what the points were before series
        // ids, for SQL users and old queries. The service reads points by series id.
        builder.ToView("metrics");
        builder.HasNoKey();

        builder.Property(m => m.RunId).HasColumnName("run_id");
        builder.Property(m => m.Name).HasColumnName("metric_name").HasColumnType("text");
        builder.Property(m => m.Step).HasColumnName("step");
        builder.Property(m => m.Value).HasColumnName("value");
        builder.Property(m => m.Time).HasColumnName("time").HasColumnType("timestamptz");
        builder.Property(m => m.Metadata).HasColumnName("metadata").HasColumnType("jsonb");
    }
}
