using Metrics.Infrastructure.Caching;

namespace Metrics.Api.IntegrationTests;

public sealed class SingleFlightTests
{
    [Fact]
    public async Task Concurrent_misses_of_one_key_share_one_computation()
    {
        var flight = new SingleFlight();
        var calls = 0;
        var gate = new TaskCompletionSource();
        async ValueTask<int> Compute(CancellationToken ct)
        {
            Interlocked.Increment(ref calls);
            await gate.Task.WaitAsync(ct);
            return 42;
        }

        var readers = Enumerable.Range(0, 20).Select(_ => flight.RunAsync("k", Compute, CancellationToken.None).AsTask()).ToList();
        gate.SetResult();

        (await Task.WhenAll(readers)).Should().OnlyContain(v => v == 42);
        calls.Should().Be(1);
        (await flight.RunAsync("k", Compute, CancellationToken.None)).Should().Be(42);
        calls.Should().Be(2, "a finished computation is not reused: the cache holds values, this only merges bursts");
    }

    [Fact]
    public async Task Followers_of_a_failed_leader_compute_on_their_own()
    {
        var flight = new SingleFlight();
        var gate = new TaskCompletionSource();
        var leader = flight.RunAsync<int>("k", async ct => { await gate.Task; throw new InvalidOperationException("leader's request died"); }, CancellationToken.None).AsTask();
        var follower = flight.RunAsync("k", _ => ValueTask.FromResult(7), CancellationToken.None).AsTask();

        gate.SetResult();

        await leader.Invoking(t => t).Should().ThrowAsync<InvalidOperationException>();
        (await follower).Should().Be(7);
    }
}
