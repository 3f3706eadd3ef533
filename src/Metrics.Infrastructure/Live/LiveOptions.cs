using Metrics.Infrastructure.Configuration;

namespace Metrics.Infrastructure.Live;

public sealed class LiveOptions
{
    /// <summary>Run batches waiting to be published; beyond this, live updates are dropped (REST still has them).</summary>
    public int PublishQueueCapacity { get; set; } = 10_000;

    /// <summary>Redis pub/sub channel shared by every instance.</summary>
    public string Channel { get; set; } = RedisConventions.Prefix + "live";
}
