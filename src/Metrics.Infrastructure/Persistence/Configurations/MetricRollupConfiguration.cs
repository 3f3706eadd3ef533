using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Metrics.Infrastructure.Persistence.Configurations;

internal sealed class MetricRollupConfiguration : IEntityTypeConfiguration<MetricRollup>
{
    public void Configure(EntityTypeBuilder<MetricRollup> builder) => RollupColumns.Configure(builder, MetricRollup.Table);
}

internal sealed class MetricCoarseRollupConfiguration : IEntityTypeConfiguration<MetricCoarseRollup>
{
    public void Configure(EntityTypeBuilder<MetricCoarseRollup> builder) => RollupColumns.Configure(builder, MetricCoarseRollup.Table);
}

/// <summary>Both rollup levels have the same columns.</summary>
internal static class RollupColumns
{
    public static void Configure<T>(EntityTypeBuilder<T> builder, string table)
        where T : RollupBlock
    {
        builder.ToTable(table);
        builder.HasKey(r => new { r.RunId, r.MetricName, r.Block });

        builder.Property(r => r.RunId).HasColumnName("run_id");
        builder.Property(r => r.MetricName).HasColumnName("metric_name").HasColumnType("text");
        builder.Property(r => r.Block).HasColumnName("block");
        builder.Property(r => r.Count).HasColumnName("count");
        builder.Property(r => r.FiniteCount).HasColumnName("finite_count");
        builder.Property(r => r.MinValue).HasColumnName("min_value");
        builder.Property(r => r.MaxValue).HasColumnName("max_value");
        builder.Property(r => r.FiniteSum).HasColumnName("finite_sum").HasColumnType("numeric");
        builder.Property(r => r.FirstStep).HasColumnName("first_step");
        builder.Property(r => r.LastStep).HasColumnName("last_step");
        builder.Property(r => r.LastTime).HasColumnName("last_time").HasColumnType("timestamptz");
        builder.Property(r => r.LastValue).HasColumnName("last_value");
    }
}
