using System.Net;
using System.Text.Json;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>The old raw WebSocket protocol at /ws/metrics/{run_id}.</summary>
[Collection(ApiCollection.Name)]
public sealed class LiveRawWebSocketTests(LiveFixture live) : IClassFixture<LiveFixture>
{
    private readonly HttpClient _api = live.ClientA;

    private static string Type(JsonElement message) => message.GetProperty("type").GetString()!;

    private static string[] Names(JsonElement message) =>
        message.GetProperty("payload").GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("metric_name").GetString()!).ToArray();

    [Fact]
    public async Task A_connection_follows_its_runs_metrics_from_the_start()
    {
        var run = Guid.NewGuid();
        await using var socket = await RawSocketProbe.ConnectAsync(_api, run.ToString());

        await _api.PostBatchAsync(Point(run, "loss", 1, 0.5), Point(run, "acc", 1, 0.7));

        var message = await socket.NextAsync();
        Type(message).Should().Be("metric");
        Names(message).Should().Equal("loss", "acc");
        message.GetProperty("payload").GetProperty("metrics")[0].GetProperty("run_id").GetGuid().Should().Be(run);
    }

    [Fact]
    public async Task Subscribe_with_names_delivers_only_those()
    {
        var run = Guid.NewGuid();
        await using var socket = await RawSocketProbe.ConnectAsync(_api, run.ToString());

        await socket.SendAsync(new { type = "subscribe", payload = new { run_id = run, metric_names = new[] { "loss" } } });
        Type(await socket.NextAsync()).Should().Be("subscribed");
        await _api.PostBatchAsync(Point(run, "loss", 1, 0.5), Point(run, "acc", 1, 0.7));

        Names(await socket.NextAsync()).Should().Equal("loss");
    }

    [Fact]
    public async Task Unsubscribe_stops_delivery_instead_of_resuming_all()
    {
        var run = Guid.NewGuid();
        await using var socket = await RawSocketProbe.ConnectAsync(_api, run.ToString());
        await socket.SendAsync(new { type = "subscribe", payload = new { metric_names = new[] { "loss" } } });
        Type(await socket.NextAsync()).Should().Be("subscribed");

        await socket.SendAsync(new { type = "unsubscribe" });
        Type(await socket.NextAsync()).Should().Be("unsubscribed");
        await _api.PostBatchAsync(Point(run, "loss", 1, 0.5), Point(run, "acc", 1, 0.7));
        await socket.SendAsync(new { type = "ping" });

        Type(await socket.NextAsync()).Should().Be("pong", "nothing was delivered after unsubscribe");
    }

    [Fact]
    public async Task Garbage_gets_an_error_message_and_the_connection_lives_on()
    {
        var run = Guid.NewGuid();
        await using var socket = await RawSocketProbe.ConnectAsync(_api, run.ToString());

        await socket.SendAsync("{{{ not json");
        var error = await socket.NextAsync();
        await socket.SendAsync(new { type = "dance" });
        var unknown = await socket.NextAsync();
        await socket.SendAsync(new { type = "subscribe", payload = new { metric_names = new[] { "bad;name" } } });
        var badName = await socket.NextAsync();
        await _api.PostBatchAsync(Point(run, "loss", 1, 0.5));

        new[] { error, unknown, badName }.Select(Type).Should().Equal("error", "error", "error");
        error.GetProperty("payload").GetProperty("message").GetString().Should().NotBeNullOrEmpty();
        Names(await socket.NextAsync()).Should().Equal("loss");
    }

    [Fact]
    public async Task An_invalid_run_id_is_refused_with_400_before_the_upgrade()
    {
        var response = await _api.GetAsync("/ws/metrics/not-a-run");

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["detail"]!.GetValue<string>().Should().Contain("not-a-run");
        await FluentActions.Invoking(() => RawSocketProbe.ConnectAsync(_api, "not-a-run")).Should().ThrowAsync<System.Net.WebSockets.WebSocketException>();
    }

    [Fact]
    public async Task Works_across_instances()
    {
        var run = Guid.NewGuid();
        await using var socket = await RawSocketProbe.ConnectAsync(live.ClientB, run.ToString());

        await live.ClientA.PostBatchAsync(Point(run, "loss", 1, 0.5));
        await live.ClientA.PostBatchAsync(Point(run, "loss", 2, 0.4));

        var first = await socket.NextAsync();
        var second = await socket.NextAsync();
        second.GetProperty("payload").GetProperty("seq").GetInt64().Should().Be(first.GetProperty("payload").GetProperty("seq").GetInt64() + 1);
    }
}
