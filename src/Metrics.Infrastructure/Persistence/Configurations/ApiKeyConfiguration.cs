using Metrics.Domain.Keys;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Metrics.Infrastructure.Persistence.Configurations;

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> builder)
    {
        builder.ToTable("api_keys");
        builder.HasKey(k => k.Id);
        builder.Property(k => k.Id).HasColumnName("id").ValueGeneratedNever();
        builder.Property(k => k.Name).HasColumnName("name").HasColumnType("text");
        builder.Property(k => k.Hash).HasColumnName("hash").HasColumnType("text");
        builder.Property(k => k.Scopes).HasColumnName("scopes").HasColumnType("text[]");
        builder.Property(k => k.Project).HasColumnName("project").HasColumnType("text");
        builder.Property(k => k.CreatedAt).HasColumnName("created_at").HasColumnType("timestamptz");
        builder.Property(k => k.RevokedAt).HasColumnName("revoked_at").HasColumnType("timestamptz");
        builder.Ignore(k => k.IsRevoked);
        builder.HasIndex(k => k.Hash).IsUnique().HasDatabaseName("ux_api_keys_hash");
    }
}
