using System.Collections.Concurrent;
using StackExchange.Redis;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// Live delivery costs the write path only for runs someone follows: a run's batches go over Redis
/// only while some instance follows it, on the run's own channel, to the instances that follow it.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class LiveInterestTests(LiveFixture live) : IClassFixture<LiveFixture>
{
    private static async Task<ConnectionMultiplexer> RedisAsync()
    {
        var (host, port) = TestEnvironment.RedisEndpoint;
        return await ConnectionMultiplexer.ConnectAsync($"{host}:{port}");
    }

    // Sharded (Redis 7): on a cluster, only the nodes of the run's slot carry its batches.
    private static RedisChannel Channel(Guid run) => RedisChannel.Sharded($"metricservice:live:{{{run:N}}}");

    private static async Task<long> ShardSubscribersAsync(IServer server, Guid run) =>
        (long)((RedisResult[])(await server.ExecuteAsync("PUBSUB", "SHARDNUMSUB", Channel(run).ToString()))!)[1];

    private static string WatchedKey(Guid run) => $"metricservice:live:{{{run:N}}}:watched";

    [Fact]
    public async Task A_run_nobody_follows_is_not_published_and_a_followed_one_only_on_its_own_channel()
    {
        await using var redis = await RedisAsync();
        var seen = new ConcurrentQueue<string>();
        var (unfollowed, followed) = (Guid.NewGuid(), Guid.NewGuid());
        foreach (var channel in new[] { Channel(unfollowed), Channel(followed), RedisChannel.Pattern("metricservice:*") })
        {
            await redis.GetSubscriber().SubscribeAsync(channel, (c, _) => seen.Enqueue(c.ToString()));
        }

        await using var probe = await HubProbe.ConnectAsync(live.ClientB);
        await probe.SubscribeAsync(followed, null);

        await live.ClientA.PostBatchAsync(Point(unfollowed, "loss", 1, 0.5));
        await live.ClientA.PostBatchAsync(Point(followed, "loss", 1, 0.5));

        (await probe.NextAsync()).GetProperty("run_id").GetGuid().Should().Be(followed, "written on A, delivered on B");
        await Task.Delay(300);
        seen.Should().Contain(Channel(followed).ToString());
        seen.Should().NotContain(c => c.Contains(unfollowed.ToString("N"), StringComparison.Ordinal), "nobody follows that run");
        seen.Should().ContainSingle("only the followed run's own shard channel carries a batch; no classic channel reaches every node");
    }

    [Fact]
    public async Task An_instance_lets_go_of_a_run_once_its_last_follower_has_left()
    {
        await using var redis = await RedisAsync();
        var server = redis.GetServers()[0];
        var run = Guid.NewGuid();
        var probe = await HubProbe.ConnectAsync(live.ClientB);
        await probe.SubscribeAsync(run, null);
        (await ShardSubscribersAsync(server, run)).Should().Be(1, "B follows the run");
        (await redis.GetDatabase().KeyExistsAsync(WatchedKey(run))).Should().BeTrue();

        await probe.DisposeAsync();

        // Let go at the next renewal (every 10 s).
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (await ShardSubscribersAsync(server, run) > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }

        (await ShardSubscribersAsync(server, run)).Should().Be(0);
    }

    [Fact]
    public async Task A_refused_raw_subscribe_follows_nothing_in_redis()
    {
        await using var redis = await RedisAsync();
        var server = redis.GetServers()[0];
        await using var probe = await RawSocketProbe.ConnectAsync(live.ClientB, Guid.NewGuid().ToString());
        for (var i = 1; i < 100; i++)
        {
            await probe.SendAsync(new { type = "subscribe", payload = new { run_id = Guid.NewGuid() } });
            (await probe.NextAsync()).GetProperty("type").GetString().Should().Be("subscribed");
        }

        var refused = Guid.NewGuid();
        await probe.SendAsync(new { type = "subscribe", payload = new { run_id = refused } });

        (await probe.NextAsync()).GetProperty("type").GetString().Should().Be("error", "a connection follows at most 100 runs");
        (await ShardSubscribersAsync(server, refused)).Should().Be(0);
        (await redis.GetDatabase().KeyExistsAsync(WatchedKey(refused))).Should().BeFalse();
    }
}
