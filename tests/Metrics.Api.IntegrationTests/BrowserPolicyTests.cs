using System.Net;
using System.Net.WebSockets;

namespace Metrics.Api.IntegrationTests;

/// <summary>CORS for configured origins, the live endpoints' Origin check, and the dashboard's security headers.</summary>
// In the API collection: its fixture empties the shared test database (Respawn) when it starts.
[Collection(ApiCollection.Name)]
public sealed class BrowserPolicyTests : IAsyncLifetime
{
    private const string Allowed = "https://lab.example.org";
    private readonly ApiFactory _api = new(kestrel: true, settings: new Dictionary<string, string> { ["CORS_ORIGINS"] = Allowed + "/" });
    private HttpClient _client = null!;

    public Task InitializeAsync()
    {
        _client = _api.CreateClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _api.DisposeAsync();

    [Theory]
    [InlineData(Allowed, "POST", "/api/v1/metrics/batch", true)]
    [InlineData(Allowed, "PUT", "/api/v1/runs/3f2b8c1e-0000-4000-8000-000000000001", true)] // describing a run
    [InlineData("https://evil.example.com", "POST", "/api/v1/metrics/batch", false)]
    public async Task Only_configured_origins_get_cors_answers(string origin, string method, string path, bool allowed)
    {
        var preflight = new HttpRequestMessage(HttpMethod.Options, path);
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", method);
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type,idempotency-key");

        var response = await _client.SendAsync(preflight);

        response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values).Should().Be(allowed);
        if (allowed)
        {
            values.Should().Equal(origin);
            response.Headers.GetValues("Access-Control-Allow-Methods").Single().Should().Contain(method);
            response.Headers.GetValues("Access-Control-Allow-Headers").Single().Should().ContainEquivalentOf("Idempotency-Key");
        }
    }

    [Theory]
    [InlineData(null, true)]                         // not a browser
    [InlineData(Allowed, true)]
    [InlineData("same", true)]                       // the dashboard's own origin
    [InlineData("https://evil.example.com", false)]
    public async Task Live_connections_from_pages_of_other_origins_are_refused(string? origin, bool accepted)
    {
        using var socket = new ClientWebSocket();
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin == "same" ? _client.BaseAddress!.GetLeftPart(UriPartial.Authority) : origin);
        }

        var url = new Uri(_client.BaseAddress!.ToString().Replace("http", "ws", StringComparison.Ordinal) + $"ws/metrics/{Guid.NewGuid()}");
        var connect = () => socket.ConnectAsync(url, CancellationToken.None);

        if (accepted)
        {
            await connect();
            socket.State.Should().Be(WebSocketState.Open);
        }
        else
        {
            await connect.Should().ThrowAsync<WebSocketException>();
            var plain = new HttpRequestMessage(HttpMethod.Get, "/hubs/metrics/negotiate");
            plain.Headers.Add("Origin", origin!);
            (await _client.SendAsync(plain)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        }
    }

    [Fact]
    public async Task The_dashboard_is_served_with_a_strict_content_security_policy()
    {
        foreach (var path in new[] { "/", "/app.js" })
        {
            var response = await _client.GetAsync(path);
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            response.Headers.GetValues("Content-Security-Policy").Single().Should().Contain("default-src 'self'").And.Contain("frame-ancestors 'none'");
            response.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
            response.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        }
    }
}
