using System.Net;
using System.Net.WebSockets;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>Per-key limits, each tested on a service where only that limit is tight.</summary>
// In the API collection: its fixture empties the shared test database (Respawn) when it starts.
[Collection(ApiCollection.Name)]
public sealed class RateLimitTests
{
    [Fact]
    public async Task Requests_over_a_keys_rate_get_429_with_retry_after_and_other_keys_are_untouched()
    {
        await using var api = new ApiFactory(settings: Settings(("RATE_LIMIT_REQUESTS", "5")));
        var busy = await ClientAsync(api, "metrics:read");
        var other = await ClientAsync(api, "metrics:read");
        var url = $"/api/v1/runs/{Guid.NewGuid()}/metric-names";

        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(_ => busy.GetAsync(url)));

        responses.Count(r => r.StatusCode == HttpStatusCode.OK).Should().BeInRange(10, 20, "a burst of twice the rate, then about 5/s");
        var rejected = responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        await rejected.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        int.Parse(rejected.Headers.GetValues("Retry-After").Single()).Should().BeGreaterThanOrEqualTo(1);
        (await other.GetAsync(url)).StatusCode.Should().Be(HttpStatusCode.OK, "limits are per key");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        (await busy.GetAsync(url)).StatusCode.Should().Be(HttpStatusCode.OK, "the bucket refills");
    }

    [Fact]
    public async Task Metrics_per_second_expensive_reads_and_live_connections_are_limited_per_key()
    {
        await using var api = new ApiFactory(kestrel: true, settings: Settings(
            ("RATE_LIMIT_REQUESTS", "0"), ("RATE_LIMIT_METRICS", "100"), ("EXPENSIVE_READS_PER_KEY", "1"), ("LIVE_CONNECTIONS_PER_KEY", "1")));
        var (writer, writerKey) = await ClientWithKeyAsync(api, "metrics:write", "metrics:read");
        var run = Guid.NewGuid();

        // A full batch fits the burst (at least one batch); 500 more need 5 s of refill at 100/s, and write nothing.
        (await writer.PostBatchAsync(Enumerable.Range(0, 1000).Select(i => Point(run, "loss", i, Math.Sin(i))).ToArray()))["inserted"]!.GetValue<int>().Should().Be(1000);
        var over = await writer.PostAsync("/api/v1/metrics/batch", Batch(Enumerable.Range(1000, 500).Select(i => Point(run, "loss", i, 0.5)).ToArray()));
        (await over.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests))["detail"]!.GetValue<string>().Should().Contain("100 metrics per second");
        over.Headers.RetryAfter.Should().NotBeNull();
        (await writer.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats"))["count"]!.GetValue<long>().Should().Be(1000);

        // One expensive read at a time: of many at once, some are turned away.
        var reads = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => writer.GetAsync($"/api/v1/runs/{run}/metrics/loss/downsampled?points={1000 - i}")));
        reads.Should().Contain(r => r.StatusCode == HttpStatusCode.OK).And.Contain(r => r.StatusCode == HttpStatusCode.TooManyRequests);

        // One live connection per key: a second one is refused until the first closes.
        var url = new Uri(writer.BaseAddress!.ToString().Replace("http", "ws", StringComparison.Ordinal) + $"ws/metrics/{run}?access_token={writerKey}");
        using var first = new ClientWebSocket();
        await first.ConnectAsync(url, CancellationToken.None);
        using (var second = new ClientWebSocket())
        {
            var connect = () => second.ConnectAsync(url, CancellationToken.None);
            await connect.Should().ThrowAsync<WebSocketException>();
        }

        await first.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        (await ConnectsWithinAsync(url, TimeSpan.FromSeconds(5))).Should().BeTrue("the permit is returned when the first connection's request ends");
    }

    private static async Task<bool> ConnectsWithinAsync(Uri url, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            using var socket = new ClientWebSocket();
            try
            {
                await socket.ConnectAsync(url, CancellationToken.None);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                return true;
            }
            catch (WebSocketException)
            {
                await Task.Delay(100);
            }
        }

        return false;
    }

    private static Dictionary<string, string> Settings(params (string Key, string Value)[] limits) =>
        new[] { ("AUTH_MODE", "keys") }.Concat(limits).ToDictionary(p => p.Item1, p => p.Item2);

    private static async Task<HttpClient> ClientAsync(ApiFactory api, params string[] scopes) => (await ClientWithKeyAsync(api, scopes)).Client;

    private static async Task<(HttpClient Client, string Key)> ClientWithKeyAsync(ApiFactory api, params string[] scopes)
    {
        var key = (await api.CreateKeyAsync(scopes)).Key;
        return (api.CreateClient(key), key);
    }
}
