using Metrics.Infrastructure.Configuration;
using StackExchange.Redis;

namespace Metrics.Infrastructure.Live;

/// <summary>Where a run's live state lives in Redis; all under the hash tag of the run, so in one slot.</summary>
internal static class LiveKeys
{
    public static string Channel(Guid runId) => $"{RedisConventions.Prefix}live:{{{runId:N}}}";

    public static RedisKey Sequence(Guid runId) => $"{RedisConventions.Prefix}live:{{{runId:N}}}:seq";

    public static RedisKey Watched(Guid runId) => $"{RedisConventions.Prefix}live:{{{runId:N}}}:watched";
}
