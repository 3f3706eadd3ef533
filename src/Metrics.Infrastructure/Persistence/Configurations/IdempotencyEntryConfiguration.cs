using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Metrics.Infrastructure.Persistence.Configurations;

internal sealed class IdempotencyEntryConfiguration : IEntityTypeConfiguration<IdempotencyEntry>
{
    public void Configure(EntityTypeBuilder<IdempotencyEntry> builder)
    {
        builder.ToTable("idempotency_keys");
        builder.HasKey(e => new { e.Scope, e.Key });
        builder.Property(e => e.Scope).HasColumnName("scope").HasColumnType("text");
        builder.Property(e => e.Key).HasColumnName("key").HasColumnType("text");
        builder.Property(e => e.RequestHash).HasColumnName("request_hash").HasColumnType("text");
        builder.Property(e => e.ClaimedAt).HasColumnName("claimed_at").HasColumnType("timestamptz");
        builder.Property(e => e.Status).HasColumnName("status");
        builder.Property(e => e.ContentType).HasColumnName("content_type").HasColumnType("text");
        builder.Property(e => e.Body).HasColumnName("body").HasColumnType("bytea");
        builder.HasIndex(e => e.ClaimedAt).HasDatabaseName("ix_idempotency_keys_claimed_at");
    }
}
