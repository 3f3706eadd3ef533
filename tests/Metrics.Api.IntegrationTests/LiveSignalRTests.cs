using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>The SignalR hub at /hubs/metrics, driven by the .NET client over real sockets.</summary>
[Collection(ApiCollection.Name)]
public sealed class LiveSignalRTests(LiveFixture live) : IClassFixture<LiveFixture>
{
    private readonly HttpClient _api = live.ClientA;

    private static string[] Names(JsonElement message) =>
        message.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("metric_name").GetString()!).ToArray();

    private static long Seq(JsonElement message) => message.GetProperty("seq").GetInt64();

    private static Guid RunOf(JsonElement message) => message.GetProperty("run_id").GetGuid();

    [Fact]
    public async Task A_subscriber_without_filter_gets_every_new_point_in_the_rest_shape()
    {
        var run = Guid.NewGuid();
        await using var probe = await HubProbe.ConnectAsync(_api);
        await probe.SubscribeAsync(run, null);

        await _api.PostBatchAsync(Point(run, "loss", 1, 0.5, metadata: new { lr = 0.1 }), Point(run, "acc", 1, "NaN"));

        var message = await probe.NextAsync();
        RunOf(message).Should().Be(run);
        Seq(message).Should().BePositive();
        Names(message).Should().Equal("loss", "acc");
        var point = message.GetProperty("metrics")[0];
        point.EnumerateObject().Select(p => p.Name).Should().Equal("run_id", "metric_name", "step", "value", "time", "metadata");
        point.GetProperty("time").GetString().Should().Be("2024-05-01T12:00:00Z");
        point.GetProperty("metadata").GetProperty("lr").GetDouble().Should().Be(0.1);
        message.GetProperty("metrics")[1].GetProperty("value").GetString().Should().Be("NaN");
    }

    [Fact]
    public async Task A_name_filter_narrows_each_batch_and_keeps_the_sequence_continuous()
    {
        var run = Guid.NewGuid();
        await using var probe = await HubProbe.ConnectAsync(_api);
        await probe.SubscribeAsync(run, "loss", "train/lr");

        await _api.PostBatchAsync(Point(run, "loss", 1, 0.5), Point(run, "acc", 1, 0.1), Point(run, "train/lr", 1, 0.01));
        await _api.PostBatchAsync(Point(run, "acc", 2, 0.2));
        await _api.PostBatchAsync(Point(run, "loss", 3, 0.4));

        var first = await probe.NextAsync();
        var second = await probe.NextAsync();
        var third = await probe.NextAsync();
        Names(first).Should().Equal("loss", "train/lr");
        Names(second).Should().BeEmpty("the batch had none of the followed names, but its seq still arrives");
        Names(third).Should().Equal("loss");
        new[] { Seq(first), Seq(second), Seq(third) }.Should().Equal(Seq(first), Seq(first) + 1, Seq(first) + 2);
    }

    [Fact]
    public async Task One_connection_follows_several_runs_and_nothing_else()
    {
        var (r1, r2, other) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await using var probe = await HubProbe.ConnectAsync(_api);
        await probe.SubscribeAsync(r1, null);
        await probe.SubscribeAsync(r2, []);

        await _api.PostBatchAsync(Point(other, "loss", 1, 1));
        await _api.PostBatchAsync(Point(r1, "loss", 1, 1));
        await _api.PostBatchAsync(Point(r2, "loss", 1, 1));

        RunOf(await probe.NextAsync()).Should().Be(r1, "the unfollowed run sent nothing");
        RunOf(await probe.NextAsync()).Should().Be(r2);
    }

    [Fact]
    public async Task Unsubscribing_stops_that_run_only()
    {
        var (r1, r2) = (Guid.NewGuid(), Guid.NewGuid());
        await using var probe = await HubProbe.ConnectAsync(_api);
        await probe.SubscribeAsync(r1, null);
        await probe.SubscribeAsync(r2, null);

        await probe.UnsubscribeAsync(r1);
        await _api.PostBatchAsync(Point(r1, "loss", 1, 1));
        await _api.PostBatchAsync(Point(r2, "loss", 1, 1));

        RunOf(await probe.NextAsync()).Should().Be(r2);
    }

    [Fact]
    public async Task Rejected_batches_and_retries_publish_nothing()
    {
        var run = Guid.NewGuid();
        await using var probe = await HubProbe.ConnectAsync(_api);
        await probe.SubscribeAsync(run, null);
        var point = Point(run, "loss", 1, 1);

        var rejected = await _api.PostAsync("/api/v1/metrics/batch", Batch(point, Point(run, "bad;name", 1, 1)));
        rejected.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        await _api.PostBatchAsync(point);
        await _api.PostBatchAsync(point);
        await _api.PostBatchAsync(point, Point(run, "loss", 2, 2));

        var first = await probe.NextAsync();
        var second = await probe.NextAsync();
        first.GetProperty("metrics").GetArrayLength().Should().Be(1);
        second.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("step").GetInt64()).Should().Equal([2L], "only the new point of a partly retried batch is published");
        Seq(second).Should().Be(Seq(first) + 1, "the pure retry and the rejected batch published nothing");
    }

    [Fact]
    public async Task Bad_arguments_are_hub_errors()
    {
        await using var probe = await HubProbe.ConnectAsync(_api);

        await probe.Invoking(p => p.Connection.InvokeCoreAsync("SubscribeToRun", typeof(object), ["not-a-run", null])).Should().ThrowAsync<HubException>();
        await probe.Invoking(p => p.SubscribeAsync(Guid.NewGuid(), "bad;name")).Should().ThrowAsync<HubException>();
    }

    [Fact]
    public async Task Across_two_instances_a_subscriber_gets_each_batch_exactly_once()
    {
        var run = Guid.NewGuid();
        await using var onB = await HubProbe.ConnectAsync(live.ClientB);
        await using var onA = await HubProbe.ConnectAsync(live.ClientA);
        await onB.SubscribeAsync(run, null);
        await onA.SubscribeAsync(run, null);

        await live.ClientA.PostBatchAsync(Point(run, "loss", 1, 1));
        await live.ClientB.PostBatchAsync(Point(run, "loss", 2, 2));
        await live.ClientA.PostBatchAsync(Point(run, "loss", 3, 3));

        foreach (var probe in new[] { onB, onA })
        {
            var messages = new[] { await probe.NextAsync(), await probe.NextAsync(), await probe.NextAsync() };
            messages.Select(m => m.GetProperty("metrics")[0].GetProperty("step").GetInt64()).Should().Equal(1, 2, 3);
            var first = Seq(messages[0]);
            messages.Select(Seq).Should().Equal(new[] { first, first + 1, first + 2 }, "one sequence per run across instances, no duplicates");
        }
    }
}
