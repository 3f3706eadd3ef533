using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;

namespace Metrics.Infrastructure.Caching;

public sealed class CacheOptions
{
    /// <summary>How long an entry lives at most, in seconds; invalidation usually ends it sooner.</summary>
    [ConfigurationKeyName("CACHE_TIMEOUT")]
    [Range(1, 31_536_000, ErrorMessage = "CACHE_TIMEOUT must be a whole number of seconds from {1} to {2}.")]
    public int TimeoutSeconds { get; set; } = 300;

    public TimeSpan EntryLifetime => TimeSpan.FromSeconds(TimeoutSeconds);
}
