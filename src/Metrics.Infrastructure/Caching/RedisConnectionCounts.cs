using Metrics.Application.Common.Abstractions;
using Metrics.Infrastructure.Configuration;
using StackExchange.Redis;

namespace Metrics.Infrastructure.Caching;

/// <summary>
/// One hash per key: a count and an expiry (Redis's clock, ms) per instance. Counts of instances
/// that have not restated them for 30 s (gone, or cut off from Redis) are left out and removed.
/// </summary>
internal sealed class RedisConnectionCounts(IConnectionMultiplexer redis) : ISharedConnectionCounts
{
    private const int LapseMs = 30_000;

    // Sums the live counts, dropping lapsed ones. KEYS[1] = hash; ARGV[1] = now (ms).
    private const string Sum = """
        local total = 0
        local fields = redis.call('HGETALL', KEYS[1])
        for i = 1, #fields, 2 do
            local name, value = fields[i], fields[i + 1]
            if string.sub(name, -2) == ':t' then
                if tonumber(value) < now then
                    local owner = string.sub(name, 1, -3)
                    redis.call('HDEL', KEYS[1], owner, name)
                end
            end
        end
        fields = redis.call('HGETALL', KEYS[1])
        for i = 1, #fields, 2 do
            if string.sub(fields[i], -2) ~= ':t' then
                total = total + tonumber(fields[i + 1])
            end
        end
        """;

    private const string Clock = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
        """;

    // ARGV[1] = instance, ARGV[2] = limit, ARGV[3] = lapse. Returns 1 when counted.
    private const string OpenScript = Clock + "\n" + Sum + "\n" + """
        if total >= tonumber(ARGV[2]) then
            return 0
        end
        redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
        redis.call('HSET', KEYS[1], ARGV[1] .. ':t', now + tonumber(ARGV[3]))
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    private const string CountScript = Clock + "\n" + Sum + "\nreturn total";

    private const string CloseScript = """
        if tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') > 0 then
            redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
        end
        return 0
        """;

    // ARGV[1] = instance, ARGV[2] = count, ARGV[3] = lapse.
    private const string RestateScript = Clock + "\n" + """
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[1] .. ':t', now + tonumber(ARGV[3]))
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 0
        """;

    private readonly string _instance = Guid.NewGuid().ToString("N");

    private static RedisKey Key(string keyId) => $"{RedisConventions.Prefix}live-connections:{{{keyId}}}";

    public async ValueTask<bool?> TryOpenAsync(string keyId, int limit, CancellationToken cancellationToken) =>
        await RunAsync(keyId, OpenScript, [_instance, limit, LapseMs]) is { } counted ? counted == 1 : null;

    public async ValueTask CloseAsync(string keyId) => await RunAsync(keyId, CloseScript, [_instance]);

    public async ValueTask<int?> CountAsync(string keyId, CancellationToken cancellationToken) =>
        (int?)await RunAsync(keyId, CountScript, []);

    public async ValueTask RestateAsync(IReadOnlyDictionary<string, int> counts, CancellationToken cancellationToken)
    {
        foreach (var (keyId, count) in counts)
        {
            await RunAsync(keyId, RestateScript, [_instance, count, LapseMs]);
        }
    }

    private async Task<long?> RunAsync(string keyId, string script, RedisValue[] args)
    {
        if (!redis.IsConnected)
        {
            return null;
        }

        try
        {
            return (long)await redis.GetDatabase().ScriptEvaluateAsync(script, [Key(keyId)], args);
        }
        catch (Exception ex) when (RedisConventions.IsUnavailable(ex))
        {
            return null;
        }
    }
}
