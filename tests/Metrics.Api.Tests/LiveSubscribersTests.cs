using System.Text.Json;
using Metrics.Api.Live;
using Metrics.Application.Live;
using Metrics.Application.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Moq;

namespace Metrics.Api.Tests;

public sealed class LiveSubscribersTests
{
    private static readonly Guid Run = Guid.NewGuid();
    private readonly LiveSubscribers _subscribers;

    public LiveSubscribersTests() => _subscribers = new LiveSubscribers(NullLogger<LiveSubscribers>.Instance);

    private static LiveMetricBatch Batch(long seq, params string[] names) =>
        new(Run, seq, names.Select((n, i) => new MetricDto(Run, n, i, 1.0, DateTime.UnixEpoch, null)).ToList());

    private static Mock<ILiveConnection> Connection(List<LivePayload> received, bool accepts = true)
    {
        var connection = new Mock<ILiveConnection>();
        connection.Setup(c => c.TryDeliver(It.IsAny<LivePayload>())).Callback<LivePayload>(received.Add).Returns(accepts);
        return connection;
    }

    [Fact]
    public void A_subscriber_that_cannot_keep_up_is_dropped_and_the_others_are_served()
    {
        var fast = new List<LivePayload>();
        var slow = Connection([], accepts: false);
        _subscribers.Subscribe(Run, slow.Object, null);
        _subscribers.Subscribe(Run, Connection(fast).Object, null);

        _subscribers.Deliver(Batch(1, "loss"));
        _subscribers.Deliver(Batch(2, "loss"));

        slow.Verify(c => c.Abort(), Times.Once);
        slow.Verify(c => c.TryDeliver(It.IsAny<LivePayload>()), Times.Once, "once dropped it gets nothing more");
        fast.Select(p => p.Seq).Should().Equal(1, 2);
    }

    [Fact]
    public void Each_filter_gets_its_narrowed_batch_serialized_once_for_all_its_subscribers()
    {
        var (a, b, all) = (new List<LivePayload>(), new List<LivePayload>(), new List<LivePayload>());
        _subscribers.Subscribe(Run, Connection(a).Object, new HashSet<string> { "loss", "acc" });
        _subscribers.Subscribe(Run, Connection(b).Object, new HashSet<string> { "acc", "loss" });
        _subscribers.Subscribe(Run, Connection(all).Object, null);

        _subscribers.Deliver(Batch(7, "loss", "lr", "acc"));

        a.Single().Should().BeSameAs(b.Single(), "one serialization per distinct filter");
        Names(a.Single()).Should().Equal("loss", "acc");
        Names(all.Single()).Should().Equal("loss", "lr", "acc");
        JsonDocument.Parse(all.Single().WebSocketFrame).RootElement.GetProperty("payload").GetProperty("seq").GetInt64().Should().Be(7);
    }

    [Fact]
    public void A_filtered_subscriber_still_gets_the_seq_of_a_batch_without_its_names()
    {
        var received = new List<LivePayload>();
        _subscribers.Subscribe(Run, Connection(received).Object, new HashSet<string> { "loss" });

        _subscribers.Deliver(Batch(3, "acc"));

        received.Single().Seq.Should().Be(3);
        Names(received.Single()).Should().BeEmpty();
    }

    [Fact]
    public void Nothing_goes_to_other_runs_or_after_unsubscribe()
    {
        var received = new List<LivePayload>();
        var connection = Connection(received).Object;
        _subscribers.Subscribe(Run, connection, null);

        _subscribers.Deliver(Batch(1, "loss") with { RunId = Guid.NewGuid() });
        _subscribers.Unsubscribe(Run, connection);
        _subscribers.Deliver(Batch(2, "loss"));

        received.Should().BeEmpty();
    }

    private static string[] Names(LivePayload payload) =>
        JsonDocument.Parse(payload.Metrics.Utf8).RootElement.EnumerateArray().Select(m => m.GetProperty("metric_name").GetString()!).ToArray();
}

public sealed class LiveConnectionTests
{
    private sealed class StuckConnection(int capacity) : LiveConnection<LivePayload>(capacity, keyId: null)
    {
        public bool Aborted { get; private set; }

        public override void Abort() => Aborted = true;

        protected override LivePayload ToMessage(LivePayload payload) => payload;

        // A client that never reads: the send never completes.
        protected override Task SendAsync(LivePayload message, CancellationToken cancellationToken) =>
            Task.Delay(Timeout.Infinite, cancellationToken);
    }

    [Fact]
    public async Task The_send_queue_is_bounded_so_a_stuck_client_cannot_grow_memory()
    {
        var connection = new StuckConnection(capacity: 4);
        using var stop = new CancellationTokenSource();
        var loop = connection.RunSendLoopAsync(stop.Token);
        var payload = new LivePayload(new LiveMetricBatch(Guid.NewGuid(), 1, []), JsonSerializerOptions.Default);

        // One message is taken by the stuck send; four more fill the queue.
        var accepted = Enumerable.Range(0, 10).Count(_ => connection.TryDeliver(payload));

        accepted.Should().BeInRange(4, 5);
        await stop.CancelAsync();
        await loop;
    }
}
