using System.Diagnostics;
using System.Net;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// PostgreSQL or Redis going away under a running API host, simulated by cutting a TCP proxy
/// that stands between this host and the real server. In the shared collection: these hosts
/// share Redis with the others, and renewing the cache epoch must not race their assertions.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class OutageTests
{
    private static readonly TimeSpan RecoveryLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Without_redis_reads_and_writes_keep_working_and_nothing_stale_survives_its_return()
    {
        var (host, port) = TestEnvironment.RedisEndpoint;
        await using var proxy = new TcpToggleProxy(host, port);
        await using var factory = new ApiFactory(redisUrl: $"redis://127.0.0.1:{proxy.Port}");
        var client = factory.CreateClient();
        var run = Guid.NewGuid();
        var history = $"/api/v1/runs/{run}/metrics/loss";
        await client.PostBatchAsync(Point(run, "loss", 1, 1.0));
        (await client.GetJsonAsync(history))["count"]!.GetValue<int>().Should().Be(1);
        await Db.Postgres.InsertBehindTheApiAsync(run, "loss", 2, 2.0);
        (await client.GetJsonAsync(history))["count"]!.GetValue<int>().Should().Be(1, "served from Redis");

        proxy.Down();

        (await client.GetJsonAsync(history))["count"]!.GetValue<int>().Should().Be(2, "served from PostgreSQL while Redis is away");
        await client.PostBatchAsync(Point(run, "loss", 3, 3.0));
        (await client.GetJsonAsync(history))["count"]!.GetValue<int>().Should().Be(3);
        (await client.GetJsonAsync($"{history}/latest"))["step"]!.GetValue<long>().Should().Be(3);
        var health = await client.GetJsonAsync("/health");
        health["status"]!.GetValue<string>().Should().Be("degraded");
        health["checks"]!["redis"]!.GetValue<string>().Should().Be("degraded");

        proxy.Up();
        await WaitUntilAsync(async () => (await client.GetJsonAsync("/health"))["status"]!.GetValue<string>() == "healthy");

        (await client.GetJsonAsync(history))["count"]!.GetValue<int>().Should().Be(3, "the write made while Redis was away is visible");
        await Db.Postgres.InsertBehindTheApiAsync(run, "loss", 4, 4.0);
        (await client.GetJsonAsync(history))["count"]!.GetValue<int>().Should().Be(3, "caching resumed");
        await client.PostBatchAsync(Point(run, "loss", 5, 5.0));
        (await client.GetJsonAsync(history))["count"]!.GetValue<int>().Should().Be(5, "and invalidation with it");
    }

    [Fact]
    public async Task A_redis_server_killed_and_restarted_mid_test_costs_nothing_but_cache_hits()
    {
        await using var redis = new RedisProcess();
        await redis.StartAsync();
        await using var factory = new ApiFactory(redisUrl: redis.Url);
        var client = factory.CreateClient();
        var run = Guid.NewGuid();
        var stats = $"/api/v1/runs/{run}/metrics/loss/stats";
        await client.PostBatchAsync(Point(run, "loss", 1, 1.0));
        (await client.GetJsonAsync(stats))["count"]!.GetValue<long>().Should().Be(1);

        await redis.KillAsync();

        await client.PostBatchAsync(Point(run, "loss", 2, 3.0));
        (await client.GetJsonAsync(stats))["count"]!.GetValue<long>().Should().Be(2);
        (await client.GetJsonAsync("/health"))["status"]!.GetValue<string>().Should().Be("degraded");

        await redis.StartAsync();
        await WaitUntilAsync(async () => (await client.GetJsonAsync("/health"))["status"]!.GetValue<string>() == "healthy");

        await client.PostBatchAsync(Point(run, "loss", 3, 5.0));
        var after = await client.GetJsonAsync(stats);
        after["count"]!.GetValue<long>().Should().Be(3);
        after["avg_value"]!.GetValue<double>().Should().Be(3.0);
    }

    [Fact]
    public async Task Without_redis_live_delivery_continues_on_a_single_instance()
    {
        var (host, port) = TestEnvironment.RedisEndpoint;
        await using var proxy = new TcpToggleProxy(host, port);
        await using var factory = new ApiFactory(redisUrl: $"redis://127.0.0.1:{proxy.Port}", kestrel: true);
        var client = factory.CreateClient();
        var run = Guid.NewGuid();
        await using var hub = await HubProbe.ConnectAsync(client);
        await hub.SubscribeAsync(run, null);
        await using var socket = await RawSocketProbe.ConnectAsync(client, run.ToString());
        await client.PostBatchAsync(Point(run, "loss", 1, 1.0));
        var before = (await hub.NextAsync()).GetProperty("seq").GetInt64();
        (await socket.NextAsync()).GetProperty("type").GetString().Should().Be("metric");

        proxy.Down();
        await client.PostBatchAsync(Point(run, "loss", 2, 2.0));

        (await hub.NextAsync()).GetProperty("seq").GetInt64().Should().Be(before + 1, "delivered locally while Redis is away");
        (await socket.NextAsync()).GetProperty("payload").GetProperty("seq").GetInt64().Should().Be(before + 1);
        await using var lateSocket = await RawSocketProbe.ConnectAsync(client, run.ToString());
        await using var lateHub = await HubProbe.ConnectAsync(client);
        await lateHub.SubscribeAsync(run, null);
        await client.PostBatchAsync(Point(run, "loss", 3, 3.0));
        (await lateSocket.NextAsync()).GetProperty("payload").GetProperty("seq").GetInt64().Should().Be(before + 2, "new raw WebSocket clients are served too");
        (await lateHub.NextAsync()).GetProperty("seq").GetInt64().Should().Be(before + 2, "and new SignalR clients");

        proxy.Up();
        await WaitUntilAsync(async () => (await client.GetJsonAsync("/health"))["status"]!.GetValue<string>() == "healthy");
        await client.PostBatchAsync(Point(run, "loss", 4, 4.0));
        (await hub.NextAsync()).GetProperty("seq").GetInt64().Should().Be(before + 2);
        (await hub.NextAsync()).GetProperty("seq").GetInt64().Should().Be(before + 3, "numbering carries on after Redis returns");
    }

    [Fact]
    public async Task Without_postgres_requests_fail_fast_with_503_and_retry_after_then_recover()
    {
        var (host, port) = TestEnvironment.DatabaseEndpoint;
        await using var proxy = new TcpToggleProxy(host, port);
        var url = TestEnvironment.DatabaseUrl.Replace($"{host}:{port}", $"127.0.0.1:{proxy.Port}", StringComparison.Ordinal);
        await using var factory = new ApiFactory(databaseUrl: url);
        var client = factory.CreateClient();
        var run = Guid.NewGuid();
        await client.PostBatchAsync(Point(run, "loss", 1, 1.0));

        proxy.Down();

        var clock = Stopwatch.StartNew();
        var write = await client.PostAsync("/api/v1/metrics/batch", Batch(Point(run, "loss", 2, 2.0)));
        var read = await client.GetAsync($"/api/v1/runs/{run}/metrics/loss?limit=7");
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "an unreachable database fails fast");
        foreach (var response in new[] { write, read })
        {
            var problem = await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
            response.Headers.RetryAfter.Should().NotBeNull();
            problem["detail"]!.GetValue<string>().Should().Contain("retry");
        }

        var health = await client.GetAsync("/health");
        health.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await health.ReadJsonAsync(HttpStatusCode.ServiceUnavailable))["status"]!.GetValue<string>().Should().Be("unhealthy");

        proxy.Up();
        await WaitUntilAsync(async () =>
            (await client.PostAsync("/api/v1/metrics/batch", Batch(Point(run, "loss", 2, 2.0)))).StatusCode == HttpStatusCode.Created);

        (await client.GetJsonAsync("/health"))["status"]!.GetValue<string>().Should().Be("healthy");
        (await Db.Postgres.CountMetricsAsync(run)).Should().Be(2, "the failed write was not half-applied, and its retry landed once");
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            deadline.Elapsed.Should().BeLessThan(RecoveryLimit, "the service recovers by itself");
            await Task.Delay(250);
        }
    }
}
