using System.Globalization;
using System.Text.Json;
using Metrics.Application.Common.Abstractions;
using Metrics.Infrastructure.Configuration;
using Metrics.Infrastructure.Persistence.Replication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Metrics.Infrastructure.Caching;

/// <summary>
/// Tag-versioned read cache in Redis. Every tag has a generation counter; an entry's key embeds
/// the generations of its tags as read <em>before</em> the query ran, so invalidating (incrementing)
/// a tag makes older entries unreachable, and a read racing a write can only store under a key
/// nobody asks for any more. A random epoch in every key is replaced whenever this instance may
/// have missed an invalidation (Redis unreachable during a write, or a reconnect), so nothing
/// from before the gap is ever served. While Redis is away, every call goes to storage.
/// </summary>
internal sealed partial class RedisQueryCache : IQueryCache
{
    // Every key of the cache carries the hash tag {cache}: the scripts touch several keys, and
    // Redis Cluster runs a script only on keys of one hash slot.
    private const string Keys = RedisConventions.Prefix + "{cache}:";

    /// <summary>A new value here retires every cached entry at once.</summary>
    internal const string EpochKey = Keys + "epoch";

    // An epoch reads "<id>/<floor>": every commit acknowledged before the epoch began ends at or
    // before the floor (a WAL position as 16 hex digits, which compare as strings). A read must see
    // the floor and every position its tags record: the standby serves it only once it has.
    private const string UnknownPosition = "FFFFFFFFFFFFFFFF";

    // KEYS[1] = epoch key, KEYS[2..] = tag hashes (g = generation, p = newest commit position);
    // ARGV[1] = entry key, ARGV[2] = a fresh epoch if none is set, ARGV[3] = tag lifetime (ms).
    // Returns { full entry key, value or nil, the position the answer must reflect }.
    private const string ReadScript = $$"""
        local epoch = redis.call('GET', KEYS[1])
        if not epoch then
            redis.call('SET', KEYS[1], ARGV[2], 'NX')
            epoch = redis.call('GET', KEYS[1])
        end
        local position = string.match(epoch, '/(%x+)$') or '{{UnknownPosition}}'
        local key = '{{Keys}}q:' .. epoch .. ':' .. ARGV[1]
        for i = 2, #KEYS do
            local tag = redis.call('HMGET', KEYS[i], 'g', 'p')
            local gen = tag[1]
            if gen then
                redis.call('PEXPIRE', KEYS[i], ARGV[3])
            else
                gen = '0'
            end
            if tag[2] and tag[2] > position then
                position = tag[2]
            end
            key = key .. ':' .. gen
        end
        return { key, redis.call('GET', key), position }
        """;

    // Tag generations outlive every entry built on them (see ReadScript's PEXPIRE), so a
    // generation never falls back to a value an existing entry was built with. ARGV[2] is the
    // writer's commit position, or empty when none is tracked.
    private const string InvalidateScript = """
        for i = 1, #KEYS do
            redis.call('HINCRBY', KEYS[i], 'g', 1)
            if ARGV[2] ~= '' then
                local p = redis.call('HGET', KEYS[i], 'p')
                if not p or p < ARGV[2] then
                    redis.call('HSET', KEYS[i], 'p', ARGV[2])
                end
            end
            redis.call('PEXPIRE', KEYS[i], ARGV[1])
        end
        return #KEYS
        """;

    private static readonly JsonSerializerOptions SerializerOptions = RedisConventions.Json;

    private readonly SingleFlight _singleFlight = new();
    private readonly IConnectionMultiplexer _redis;
    private readonly CommitPositions _positions;
    private readonly ILogger<RedisQueryCache> _logger;
    private readonly TimeSpan _entryLifetime;
    private readonly long _tagLifetimeMs;
    private int _epochSuspect = 1;
    private int _available = 1;

    public RedisQueryCache(IConnectionMultiplexer redis, CommitPositions positions, IOptions<CacheOptions> options, ILogger<RedisQueryCache> logger)
    {
        _redis = redis;
        _positions = positions;
        _logger = logger;
        _entryLifetime = options.Value.EntryLifetime;
        _tagLifetimeMs = (long)(_entryLifetime.TotalMilliseconds * 2);
        // A connection that failed may have taken invalidations with it (a Redis Cluster master
        // failing over loses its last unreplicated writes): start a new epoch.
        _redis.ConnectionRestored += (_, _) => Volatile.Write(ref _epochSuspect, 1);
        _redis.ConnectionFailed += (_, _) => Volatile.Write(ref _epochSuspect, 1);
    }

    public async ValueTask<T> GetOrCreateAsync<T>(
        string key,
        IReadOnlyList<string> tags,
        Func<CancellationToken, ValueTask<T>> factory,
        CancellationToken cancellationToken)
    {
        // Until the cache says which commits the answer must reflect, the read goes to the primary.
        ReadFreshness.Require(null);
        if (!_redis.IsConnected)
        {
            MarkUnavailable(null);
            return await factory(cancellationToken);
        }

        string entryKey;
        try
        {
            await RenewEpochIfSuspectAsync();
            var keys = new RedisKey[tags.Count + 1];
            keys[0] = EpochKey;
            for (var i = 0; i < tags.Count; i++)
            {
                keys[i + 1] = TagKey(tags[i]);
            }

            var result = (RedisResult[])(await _redis.GetDatabase().ScriptEvaluateAsync(
                ReadScript, keys, [key, Guid.NewGuid().ToString("N") + "/" + UnknownPosition, _tagLifetimeMs]))!;
            entryKey = (string)result[0]!;
            ReadFreshness.Require(ulong.Parse((string)result[2]!, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            MarkAvailable();
            if (!result[1].IsNull)
            {
                return JsonSerializer.Deserialize<T>((byte[])result[1]!, SerializerOptions)!;
            }
        }
        catch (Exception ex) when (RedisConventions.IsUnavailable(ex))
        {
            MarkUnavailable(ex);
            return await factory(cancellationToken);
        }

        // A burst of identical misses (a dashboard opened by many people) runs one query.
        return await _singleFlight.RunAsync(entryKey, async ct =>
        {
            var value = await factory(ct);
            try
            {
                await _redis.GetDatabase().StringSetAsync(
                    entryKey, JsonSerializer.SerializeToUtf8Bytes(value, SerializerOptions), _entryLifetime, flags: CommandFlags.FireAndForget);
            }
            catch (Exception ex) when (RedisConventions.IsUnavailable(ex))
            {
                MarkUnavailable(ex);
            }

            return value;
        }, cancellationToken);
    }

    public async ValueTask InvalidateAsync(IReadOnlyCollection<string> tags, CancellationToken cancellationToken)
    {
        if (tags.Count == 0)
        {
            return;
        }

        try
        {
            if (!_redis.IsConnected)
            {
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is not connected.");
            }

            var keys = tags.Select(t => (RedisKey)TagKey(t)).ToArray();
            var position = _positions.Tracking ? Hex(_positions.Latest) : string.Empty;
            await _redis.GetDatabase().ScriptEvaluateAsync(InvalidateScript, keys, [_tagLifetimeMs, position]);
            MarkAvailable();
        }
        catch (Exception ex) when (RedisConventions.IsUnavailable(ex))
        {
            // This invalidation is lost: retire every entry once Redis answers again.
            Volatile.Write(ref _epochSuspect, 1);
            MarkUnavailable(ex);
        }
    }

    private static string TagKey(string tag) => Keys + "tag:" + tag;

    private static string Hex(ulong position) => position.ToString("X16", CultureInfo.InvariantCulture);

    private async Task RenewEpochIfSuspectAsync()
    {
        if (Interlocked.Exchange(ref _epochSuspect, 0) == 0)
        {
            return;
        }

        try
        {
            // Also at start-up: a previous process may have died between a commit and its invalidation.
            await _redis.GetDatabase().StringSetAsync(EpochKey, Guid.NewGuid().ToString("N") + "/" + await FloorAsync(), when: When.Always);
        }
        catch
        {
            Volatile.Write(ref _epochSuspect, 1);
            throw;
        }
    }

    /// <summary>The primary's WAL position now, or unknown (reads of this epoch go to the primary) if it cannot say.</summary>
    private async Task<string> FloorAsync()
    {
        if (!_positions.Tracking)
        {
            return Hex(0);
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            return Hex(await _positions.CurrentAsync(timeout.Token));
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException or OperationCanceledException)
        {
            return UnknownPosition;
        }
    }

    private void MarkAvailable()
    {
        if (Interlocked.Exchange(ref _available, 1) == 0)
        {
            LogRedisBack(_logger);
        }
    }

    // Logged once per outage, not once per request.
    private void MarkUnavailable(Exception? ex)
    {
        if (Interlocked.Exchange(ref _available, 0) == 1)
        {
            LogRedisDown(_logger, ex?.Message ?? "not connected");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis cache unavailable ({Reason}); reads go to PostgreSQL until it returns")]
    private static partial void LogRedisDown(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis cache available again")]
    private static partial void LogRedisBack(ILogger logger);
}
