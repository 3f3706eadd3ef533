using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Metrics.Infrastructure.Persistence.Configurations;

internal sealed class RunProjectConfiguration : IEntityTypeConfiguration<RunProject>
{
    public void Configure(EntityTypeBuilder<RunProject> builder)
    {
        builder.ToTable("run_projects");
        builder.HasKey(p => p.RunId);
        builder.Property(p => p.RunId).HasColumnName("run_id").ValueGeneratedNever();
        builder.Property(p => p.Project).HasColumnName("project").HasColumnType("text");
        builder.Property(p => p.ClaimedAt).HasColumnName("claimed_at").HasColumnType("timestamptz");
        builder.HasIndex(p => p.Project).HasDatabaseName("ix_run_projects_project");
    }
}
