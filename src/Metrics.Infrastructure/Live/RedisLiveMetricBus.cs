using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Live;
using Metrics.Application.Metrics;
using Metrics.Infrastructure.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Metrics.Infrastructure.Live;

/// <summary>
/// The one publish path of live updates. A committed write is queued (never blocking the request);
/// a background loop publishes each run batch only if some instance follows the run (a "watched"
/// key in Redis, kept alive by the instances that have followers), giving it the run's next
/// sequence number and publishing it on the run's own channel in the same atomic script. Only the
/// instances subscribed to that channel, those whose connections follow the run, receive it, in
/// sequence order. While Redis is unreachable, batches are delivered to this instance's
/// subscribers directly, numbered on from the last sequence seen.
/// </summary>
internal sealed partial class RedisLiveMetricBus(
    IConnectionMultiplexer redis,
    ILiveMetricDelivery delivery,
    IOptions<LiveOptions> options,
    ILogger<RedisLiveMetricBus> logger) : BackgroundService, ILiveMetricPublisher, ILiveRunInterest
{
    // A followed run's watched key is renewed every RenewEvery and lives WatchedLifetime, so it
    // outlives a missed renewal and disappears soon after its last follower anywhere has gone.
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan WatchedLifetime = TimeSpan.FromSeconds(30);

    // Sequence numbers of runs not published or received for this long are forgotten.
    private static readonly TimeSpan ForgetSequenceAfter = TimeSpan.FromMinutes(10);

    // KEYS[1] = the run's sequence; ARGV = channel, floor, run id, payload, PUBLISH or SPUBLISH.
    // Returns the sequence. The floor keeps numbers increasing after Redis lost the counter
    // (restart, expiry, a failover that lost the last increments). The run's keys and channel
    // share the hash tag {run}: one slot, so the script runs on Redis Cluster, and the run's
    // sharded channel lives on the node that numbers it.
    private const string PublishScript = """
        local seq = redis.call('INCR', KEYS[1])
        local floor = tonumber(ARGV[2])
        if seq <= floor then
            seq = floor + 1
            redis.call('SET', KEYS[1], seq)
        end
        redis.call('EXPIRE', KEYS[1], 604800)
        redis.call(ARGV[5], ARGV[1], seq .. '|' .. ARGV[3] .. '|' .. ARGV[4])
        return seq
        """;

    // KEYS[1] = the run's sequence; ARGV[1] = a number delivered here. Raises the counter to it.
    private const string RaiseScript = """
        local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
        if seq < tonumber(ARGV[1]) then
            redis.call('SET', KEYS[1], ARGV[1], 'EX', 604800)
        end
        return 0
        """;

    private static readonly JsonSerializerOptions Json = RedisConventions.Json;

    private readonly Channel<(Guid RunId, MetricDto[] Metrics)> _queue = Channel.CreateBounded<(Guid, MetricDto[])>(
        new BoundedChannelOptions(options.Value.PublishQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly ConcurrentDictionary<Guid, (long Seq, long At)> _lastSeq = new();

    // The last sequence delivered here per run: what subscribers here saw last.
    private readonly Dictionary<Guid, long> _delivered = [];
    private readonly Lock _deliverGate = new();
    private bool? _sharded;
    private readonly Lock _followGate = new();
    private readonly Dictionary<Guid, Task> _following = [];
    private readonly SemaphoreSlim _renewNow = new(0);
    private int _redisDown;
    private int _overflowing;

    // One queue per followed run: StackExchange.Redis runs plain handlers concurrently, and a queue's
    // messages one after another, in the order Redis sent them, which is the order of their seq.
    private readonly ConcurrentDictionary<Guid, ChannelMessageQueue> _queues = new();

    // Sharded pub/sub (Redis 7) where the server has it: a batch goes only to the nodes of its
    // run's shard, instead of every node of a cluster.
    private bool Sharded => _sharded ??= redis.GetServers().FirstOrDefault(s => s.IsConnected)?.Features.ShardedPubSub
        ?? throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is not connected.");

    private RedisChannel RunChannel(Guid runId) =>
        Sharded ? RedisChannel.Sharded(LiveKeys.Channel(runId)) : RedisChannel.Literal(LiveKeys.Channel(runId));

    public void Publish(IReadOnlyList<MetricDto> metrics)
    {
        foreach (var run in metrics.GroupBy(m => m.RunId))
        {
            if (!_queue.Writer.TryWrite((run.Key, run.ToArray())))
            {
                // Live is best effort; the points are committed and subscribers see the seq gap.
                if (Interlocked.Exchange(ref _overflowing, 1) == 0)
                {
                    LogQueueFull(logger, options.Value.PublishQueueCapacity);
                }
            }
            else
            {
                Volatile.Write(ref _overflowing, 0);
            }
        }
    }

    /// <summary>
    /// Subscribes this instance to the run's channel and marks the run watched; from then on every
    /// batch of the run committed anywhere is delivered here. When Redis is unreachable, batches are
    /// delivered locally anyway, and the renewal loop subscribes once Redis is back.
    /// </summary>
    public async ValueTask FollowAsync(Guid runId, CancellationToken cancellationToken)
    {
        Task following;
        lock (_followGate)
        {
            if (!_following.TryGetValue(runId, out following!) || following.IsFaulted)
            {
                _following[runId] = following = StartFollowingAsync(runId);
            }
        }

        try
        {
            await following.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (RedisConventions.IsUnavailable(ex))
        {
            MarkRedisDown(ex);
        }
    }

    private async Task StartFollowingAsync(Guid runId)
    {
        if (!redis.IsConnected)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is not connected.");
        }

        // Subscribed before marked watched: nothing published once the mark is seen can miss us.
        // An earlier subscription is removed first: an attempt that timed out on the client may
        // still have been registered, and a second would deliver every batch twice.
        var subscriber = redis.GetSubscriber();
        _queues.TryRemove(runId, out _);
        await subscriber.UnsubscribeAsync(RunChannel(runId)); // every handler and queue of the channel here

        var queue = await subscriber.SubscribeAsync(RunChannel(runId));
        queue.OnMessage(message => OnMessage(message.Message));
        _queues[runId] = queue;
        await redis.GetDatabase().StringSetAsync(LiveKeys.Watched(runId), 1, WatchedLifetime);
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // Watched keys may have gone with a Redis restart: renew at once.
        redis.ConnectionRestored += (_, _) => _renewNow.Release();
        return base.StartAsync(cancellationToken);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(PublishLoopAsync(stoppingToken), RenewLoopAsync(stoppingToken));

    private async Task PublishLoopAsync(CancellationToken stoppingToken)
    {
        await foreach (var (runId, metrics) in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            await PublishAsync(runId, metrics);
        }
    }

    private async Task RenewLoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _renewNow.WaitAsync(RenewEvery, stoppingToken);
                await RenewAsync();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (RedisConventions.IsUnavailable(ex))
            {
                MarkRedisDown(ex);
            }
        }
    }

    /// <summary>Keeps the runs followed here watched, lets go of the others, forgets old sequence numbers.</summary>
    private async Task RenewAsync()
    {
        var followed = delivery.FollowedRuns.ToHashSet();
        List<Guid> gone;
        lock (_followGate)
        {
            gone = _following.Keys.Where(r => !followed.Contains(r)).ToList();
            foreach (var run in gone)
            {
                _following.Remove(run);
            }
        }

        foreach (var run in gone)
        {
            if (_queues.TryRemove(run, out var queue))
            {
                await queue.UnsubscribeAsync();
            }
        }

        var database = redis.GetDatabase();
        foreach (var run in followed)
        {
            await FollowAsync(run, CancellationToken.None);
            await database.StringSetAsync(LiveKeys.Watched(run), 1, WatchedLifetime, flags: CommandFlags.FireAndForget);
        }

        var cutoff = Environment.TickCount64 - (long)ForgetSequenceAfter.TotalMilliseconds;
        foreach (var (run, last) in _lastSeq)
        {
            if (last.At < cutoff && !followed.Contains(run))
            {
                _lastSeq.TryRemove(run, out _);
                lock (_deliverGate)
                {
                    _delivered.Remove(run);
                }
            }
        }
    }

    private async Task PublishAsync(Guid runId, MetricDto[] metrics)
    {
        long floor;
        lock (_deliverGate)
        {
            floor = Math.Max(_lastSeq.GetValueOrDefault(runId).Seq, _delivered.GetValueOrDefault(runId));
        }

        try
        {
            if (!redis.IsConnected)
            {
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is not connected.");
            }

            // Nobody follows the run on any instance: nothing to serialize or send. A follower that
            // arrives later reads these (already committed) points over REST.
            var database = redis.GetDatabase();
            var watched = await database.KeyExistsAsync(LiveKeys.Watched(runId));
            MarkRedisUp();
            if (!watched)
            {
                return;
            }

            var seq = (long)await database.ScriptEvaluateAsync(
                PublishScript,
                [LiveKeys.Sequence(runId)],
                [LiveKeys.Channel(runId), floor, runId.ToString("N"), JsonSerializer.SerializeToUtf8Bytes(metrics, Json), Sharded ? "SPUBLISH" : "PUBLISH"]);
            Remember(runId, seq);
        }
        catch (RedisConnectionException ex)
        {
            // Redis never saw it: deliver here, so a single instance keeps streaming.
            MarkRedisDown(ex);

            Deliver(runId, Remember(runId, floor + 1), metrics);
        }
        catch (Exception ex) when (RedisConventions.IsUnavailable(ex))
        {
            // The script may have run: delivering here too could duplicate. Subscribers see the gap.
            LogPublishFailed(logger, runId, ex.Message);
        }
    }

    private void OnMessage(RedisValue message)
    {
        try
        {
            // "seq|run|json": parsed by hand to avoid wrapping the payload in another document.
            var bytes = (byte[])message!;
            var first = Array.IndexOf(bytes, (byte)'|');
            var second = Array.IndexOf(bytes, (byte)'|', first + 1);
            var seq = long.Parse(Encoding.ASCII.GetString(bytes, 0, first), CultureInfo.InvariantCulture);
            var runId = Guid.ParseExact(Encoding.ASCII.GetString(bytes, first + 1, second - first - 1), "N");
            var metrics = JsonSerializer.Deserialize<MetricDto[]>(bytes.AsSpan(second + 1), Json)!;
            Remember(runId, seq);
            Deliver(runId, seq, metrics);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            LogBadMessage(logger, ex.Message);
        }
    }

    /// <summary>
    /// Subscribers here see each run's numbers only increase. A number at or below the last one
    /// delivered means the counter went back (a Redis failover lost its last increments, and the
    /// publisher knew no higher floor): the batch is new, so it is delivered as the next number, and
    /// the counter is raised so the numbers that follow are unique again.
    /// </summary>
    private void Deliver(Guid runId, long seq, MetricDto[] metrics)
    {
        lock (_deliverGate)
        {
            var last = _delivered.GetValueOrDefault(runId);
            if (seq <= last)
            {
                seq = last + 1;
                LogSequenceBehind(logger, runId, seq);
                _ = RaiseAsync(runId, seq);
            }

            _delivered[runId] = seq;
            delivery.Deliver(new LiveMetricBatch(runId, seq, metrics));
        }
    }

    private async Task RaiseAsync(Guid runId, long seq)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(RaiseScript, [LiveKeys.Sequence(runId)], [seq]);
        }
        catch (Exception ex) when (RedisConventions.IsUnavailable(ex))
        {
            LogPublishFailed(logger, runId, ex.Message);
        }
    }

    // Logged once per outage (whichever path notices first) and once on return (a publish succeeds).
    private void MarkRedisDown(Exception ex)
    {
        if (Interlocked.Exchange(ref _redisDown, 1) == 0)
        {
            LogRedisDown(logger, ex.Message);
        }
    }

    private void MarkRedisUp()
    {
        if (Interlocked.Exchange(ref _redisDown, 0) == 1)
        {
            LogRedisBack(logger);
        }
    }

    private long Remember(Guid runId, long seq) =>
        _lastSeq.AddOrUpdate(runId, (seq, Environment.TickCount64), (_, last) => (Math.Max(last.Seq, seq), Environment.TickCount64)).Seq;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live publish queue full ({Capacity} batches); live updates are being dropped")]
    private static partial void LogQueueFull(ILogger logger, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable for live updates ({Reason}); delivering to this instance's subscribers only")]
    private static partial void LogRedisDown(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis available again for live updates")]
    private static partial void LogRedisBack(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live publish for run {RunId} failed: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, Guid runId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live sequence of run {RunId} went back (a Redis failover?); delivered as {Seq} and raised the counter")]
    private static partial void LogSequenceBehind(ILogger logger, Guid runId, long seq);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a malformed live message: {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string reason);
}
