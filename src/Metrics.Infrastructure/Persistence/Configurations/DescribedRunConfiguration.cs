using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Metrics.Infrastructure.Persistence.Configurations;

internal sealed class DescribedRunConfiguration : IEntityTypeConfiguration<DescribedRun>
{
    public void Configure(EntityTypeBuilder<DescribedRun> builder)
    {
        builder.ToTable("runs", t => t.HasCheckConstraint("ck_runs_status", "status IN ('running', 'finished', 'failed')"));
        builder.HasKey(r => r.RunId);
        builder.Property(r => r.RunId).HasColumnName("run_id").ValueGeneratedNever();
        builder.Property(r => r.Name).HasColumnName("name").HasColumnType("text");
        builder.Property(r => r.Tags).HasColumnName("tags").HasColumnType("text[]").HasDefaultValueSql("'{}'");
        // json, not jsonb: a config comes back as sent, keys in the order the user wrote them.
        builder.Property(r => r.Config).HasColumnName("config").HasColumnType("json");
        builder.Property(r => r.Status).HasColumnName("status").HasColumnType("text");
        builder.Property(r => r.StartedAt).HasColumnName("started_at").HasColumnType("timestamptz");
        builder.Property(r => r.EndedAt).HasColumnName("ended_at").HasColumnType("timestamptz");
        builder.Property(r => r.CreatedAt).HasColumnName("created_at").HasColumnType("timestamptz");
        builder.Property(r => r.UpdatedAt).HasColumnName("updated_at").HasColumnType("timestamptz");
    }
}
