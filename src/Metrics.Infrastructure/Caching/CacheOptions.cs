namespace Metrics.Infrastructure.Caching;

public sealed class CacheOptions
{
    /// <summary>How long an entry lives at most (CACHE_TIMEOUT); invalidation usually ends it sooner.</summary>
    public TimeSpan EntryLifetime { get; set; } = TimeSpan.FromSeconds(300);
}
