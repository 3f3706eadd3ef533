using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Metrics.Application.Common.Abstractions;
using Metrics.Application.Live;
using Metrics.Application.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Metrics.Infrastructure.Live;

/// <summary>
/// The one publish path of live updates. A committed write is queued (never blocking the request);
/// a background loop gives each run batch the run's next sequence number and publishes it on one
/// Redis channel in the same atomic script, so every instance receives every batch once and in
/// sequence order, and delivers it to its own subscribers. While Redis is unreachable, batches are
/// delivered to this instance's subscribers directly, numbered on from the last sequence seen.
/// </summary>
internal sealed partial class RedisLiveMetricBus(
    IConnectionMultiplexer redis,
    ILiveMetricDelivery delivery,
    IOptions<LiveOptions> options,
    ILogger<RedisLiveMetricBus> logger) : BackgroundService, ILiveMetricPublisher
{
    // KEYS[1] = the run's sequence; ARGV = channel, floor, run id, payload. Returns the sequence.
    // The floor keeps numbers increasing after Redis lost the counter (restart, expiry).
    private const string PublishScript = """
        local seq = redis.call('INCR', KEYS[1])
        local floor = tonumber(ARGV[2])
        if seq <= floor then
            seq = floor + 1
            redis.call('SET', KEYS[1], seq)
        end
        redis.call('EXPIRE', KEYS[1], 604800)
        redis.call('PUBLISH', ARGV[1], seq .. '|' .. ARGV[3] .. '|' .. ARGV[4])
        return seq
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    private readonly Channel<(Guid RunId, MetricDto[] Metrics)> _queue = Channel.CreateBounded<(Guid, MetricDto[])>(
        new BoundedChannelOptions(options.Value.PublishQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly ConcurrentDictionary<Guid, long> _lastSeq = new();
    private readonly RedisChannel _channel = RedisChannel.Literal(options.Value.Channel);
    private int _redisDown;
    private int _overflowing;
    private Action<RedisChannel, RedisValue>? _handler;

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

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribed before the host serves requests, so a new instance misses nothing once up.
        try
        {
            await SubscribeAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _ = SubscribeWhenPossibleAsync(cancellationToken);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var (runId, metrics) in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            await PublishAsync(runId, metrics);
        }
    }

    private async Task PublishAsync(Guid runId, MetricDto[] metrics)
    {
        var floor = _lastSeq.GetValueOrDefault(runId);
        try
        {
            if (!redis.IsConnected)
            {
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "Redis is not connected.");
            }

            var seq = (long)await redis.GetDatabase().ScriptEvaluateAsync(
                PublishScript,
                [(RedisKey)$"metricservice:live:seq:{runId:N}"],
                [_channel.ToString(), floor, runId.ToString("N"), JsonSerializer.SerializeToUtf8Bytes(metrics, Json)]);
            Remember(runId, seq);
            if (Interlocked.Exchange(ref _redisDown, 0) == 1)
            {
                LogRedisBack(logger);
            }
        }
        catch (RedisConnectionException ex)
        {
            // Redis never saw it: deliver here, so a single instance keeps streaming.
            if (Interlocked.Exchange(ref _redisDown, 1) == 0)
            {
                LogRedisDown(logger, ex.Message);
            }

            delivery.Deliver(new LiveMetricBatch(runId, Remember(runId, floor + 1), metrics));
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // The script may have run: delivering here too could duplicate. Subscribers see the gap.
            LogPublishFailed(logger, runId, ex.Message);
        }
    }

    private async Task SubscribeWhenPossibleAsync(CancellationToken stoppingToken)
    {
        // The client re-subscribes by itself after reconnects, once the first subscription exists.
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SubscribeAsync();
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    // One handler instance, removed before every (re)subscription: a subscription that timed out on
    // the client may still have been registered, and a second one would deliver every batch twice.
    private async Task SubscribeAsync()
    {
        var subscriber = redis.GetSubscriber();
        _handler ??= (_, message) => OnMessage(message);
        await subscriber.UnsubscribeAsync(_channel, _handler);
        await subscriber.SubscribeAsync(_channel, _handler);
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
            delivery.Deliver(new LiveMetricBatch(runId, seq, metrics));
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            LogBadMessage(logger, ex.Message);
        }
    }

    private long Remember(Guid runId, long seq) => _lastSeq.AddOrUpdate(runId, seq, (_, last) => Math.Max(last, seq));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live publish queue full ({Capacity} batches); live updates are being dropped")]
    private static partial void LogQueueFull(ILogger logger, int capacity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis unavailable for live updates ({Reason}); delivering to this instance's subscribers only")]
    private static partial void LogRedisDown(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis available again for live updates")]
    private static partial void LogRedisBack(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live publish for run {RunId} failed: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, Guid runId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a malformed live message: {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string reason);
}
