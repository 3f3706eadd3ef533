using Metrics.Application.Common.Abstractions;
using Metrics.Infrastructure.Configuration;
using StackExchange.Redis;

namespace Metrics.Infrastructure.Caching;

/// <summary>
/// Token buckets in Redis, one hash per bucket (tokens, last refill in ms), refilled by the clock
/// of the Redis node that holds it, so the instances' clocks never matter. Each bucket is one key:
/// Redis Cluster spreads the buckets of different keys over its masters.
/// </summary>
internal sealed class RedisSharedBuckets(IConnectionMultiplexer redis) : ISharedBuckets
{
    // KEYS[1] = bucket; ARGV = per second, burst, needed, wanted. Returns { taken, wait in ms }.
    private const string TakeScript = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
        local needed, wanted = tonumber(ARGV[3]), tonumber(ARGV[4])
        local bucket = redis.call('HMGET', KEYS[1], 't', 'at')
        local tokens = burst
        if bucket[1] then
            tokens = math.min(burst, tonumber(bucket[1]) + math.max(0, now - tonumber(bucket[2])) * rate / 1000)
        end
        local taken, wait = 0, 0
        if tokens >= needed then
            taken = math.min(wanted, math.floor(tokens))
            tokens = tokens - taken
        else
            wait = math.ceil((needed - tokens) * 1000 / rate)
        end
        redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', now)
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
        return { taken, wait }
        """;

    public async ValueTask<SharedTake?> TakeAsync(string bucket, int perSecond, int burst, int needed, int wanted, CancellationToken cancellationToken)
    {
        if (!redis.IsConnected)
        {
            return null;
        }

        try
        {
            var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(
                TakeScript, [(RedisKey)$"{RedisConventions.Prefix}limit:{{{bucket}}}"], [perSecond, burst, needed, wanted]))!;
            return new SharedTake((int)result[0], TimeSpan.FromMilliseconds((long)result[1]));
        }
        catch (Exception ex) when (RedisConventions.IsUnavailable(ex))
        {
            return null;
        }
    }
}
