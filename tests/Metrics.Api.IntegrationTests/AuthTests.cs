using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Mediator;
using Metrics.Api.Security;
using Metrics.Application.Keys;
using Metrics.Application.Keys.Commands.CreateApiKey;
using Metrics.Application.Keys.Commands.RevokeApiKey;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>The service with AUTH_MODE=keys over real Kestrel, keys of every kind, and every log line it writes.</summary>
public sealed class AuthFixture : IAsyncLifetime
{
    public LogCapture Logs { get; } = new();

    public ApiFactory Factory { get; }

    public HttpClient Anonymous { get; private set; } = null!;

    public string Admin { get; private set; } = null!;

    public string Writer { get; private set; } = null!;

    public string Reader { get; private set; } = null!;

    public string Revoked { get; private set; } = null!;

    /// <summary>A metrics:read key of project "matrix-other", and a run of project "matrix-owner".</summary>
    public string OtherProjectReader { get; private set; } = null!;

    public Guid ProjectRun { get; } = Guid.NewGuid();

    public AuthFixture() =>
        Factory = new ApiFactory(kestrel: true, settings: new Dictionary<string, string> { ["AUTH_MODE"] = "keys" }, logging: Logs);

    public async Task InitializeAsync()
    {
        Anonymous = Factory.CreateClient();
        Admin = await CreateAsync("admin");
        Writer = await CreateAsync("metrics:write");
        Reader = await CreateAsync("metrics:read");
        var revoked = await CreateKeyAsync("metrics:read", "metrics:write");
        await using (var scope = Factory.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ISender>().Send(new RevokeApiKeyCommand(revoked.Id));
        }

        Revoked = revoked.Key;
        OtherProjectReader = (await CreateProjectKeyAsync("matrix-other", "metrics:read")).Key;
        var owner = ClientWith((await CreateProjectKeyAsync("matrix-owner", "metrics:write")).Key);
        await owner.PostBatchAsync(Http.Point(ProjectRun, "loss", 1, 0.5));
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    public HttpClient ClientWith(string? key)
    {
        var client = Factory.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public async Task<CreatedApiKeyDto> CreateKeyAsync(params string[] scopes) => await CreateProjectKeyAsync(null, scopes);

    public Task<CreatedApiKeyDto> CreateProjectKeyAsync(string? project, params string[] scopes) => Factory.CreateKeyAsync(scopes, project);

    private async Task<string> CreateAsync(string scope) => (await CreateKeyAsync(scope)).Key;
}

// In the API collection: its fixture empties the shared test database (Respawn) when it starts.
[Collection(ApiCollection.Name)]
public sealed class AuthTests(AuthFixture fixture) : IClassFixture<AuthFixture>
{
    private static readonly string[] Write = ["WriteMetricBatch", "WriteSystemMetricBatch", "DescribeRun"];
    private static readonly string[] AdminOnly = ["CreateApiKey", "ListApiKeys", "RevokeApiKey"];

    [Fact]
    public async Task Every_operation_of_the_openapi_document_answers_401_or_403_to_the_wrong_caller_and_serves_the_right_one()
    {
        var document = await fixture.Anonymous.GetJsonAsync("/openapi/v1.json");
        var operations = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(op => (Path: path.Key, Method: op.Key.ToUpperInvariant(), Op: op.Value!)))
            .ToList();
        operations.Should().HaveCountGreaterThan(12);

        foreach (var (path, method, op) in operations)
        {
            var id = op["operationId"]!.GetValue<string>();
            op["security"]!.AsArray().Should().NotBeEmpty($"{id} documents the key it needs");
            op["responses"]!.AsObject().Select(r => r.Key).Should().Contain(["401", "403"], id);
            var url = path.Replace("{run_id}", Guid.NewGuid().ToString()).Replace("{metric_name}", "loss").Replace("{key_id}", Guid.NewGuid().ToString());
            var (right, wrong) = AdminOnly.Contains(id) ? (fixture.Admin, new[] { fixture.Writer, fixture.Reader })
                : Write.Contains(id) ? (fixture.Writer, new[] { fixture.Reader })
                : (fixture.Reader, new[] { fixture.Writer });

            foreach (var (key, status) in new[] { ((string?)null, HttpStatusCode.Unauthorized), ("msk_made-up", HttpStatusCode.Unauthorized), (fixture.Revoked, HttpStatusCode.Unauthorized) }
                         .Concat(wrong.Select(w => ((string?)w, HttpStatusCode.Forbidden))))
            {
                var response = await SendAsync(fixture.ClientWith(key), method, url);
                await response.ShouldBeProblemAsync(status);
                if (status == HttpStatusCode.Unauthorized)
                {
                    response.Headers.WwwAuthenticate.ToString().Should().Be("Bearer", $"{method} {url}");
                }
            }

            // A key of the right scope but bound to another project than the run's.
            if (path.Contains("{run_id}"))
            {
                var owned = path.Replace("{run_id}", fixture.ProjectRun.ToString()).Replace("{metric_name}", "loss");
                await (await SendAsync(fixture.ClientWith(fixture.OtherProjectReader), method, owned)).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
            }

            var served = await SendAsync(fixture.ClientWith(right), method, url);
            ((int)served.StatusCode).Should().BeInRange(200, 499, $"{method} {url} with the right key").And.NotBe(401).And.NotBe(403);
        }
    }

    [Fact]
    public async Task A_key_works_in_either_header_but_not_in_the_query_string_of_a_rest_call()
    {
        var run = Guid.NewGuid();
        var client = fixture.Factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", fixture.Writer);
        (await client.PostBatchAsync(Point(run, "loss", 1, 0.5)))["inserted"]!.GetValue<int>().Should().Be(1);

        (await fixture.ClientWith(fixture.Reader).GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest"))["value"]!.GetValue<double>().Should().Be(0.5);
        await (await fixture.Anonymous.GetAsync($"/api/v1/runs/{run}/metrics/loss/latest?access_token={fixture.Reader}"))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Admins_create_list_and_revoke_keys_and_a_revoked_key_is_refused_at_once()
    {
        var admin = fixture.ClientWith(fixture.Admin);
        var created = await (await admin.PostAsync("/api/v1/admin/keys", Json(new { name = "ci job", scopes = new[] { "metrics:write" } })))
            .ReadJsonAsync(HttpStatusCode.Created);
        var key = created["key"]!.GetValue<string>();
        key.Should().StartWith("msk_");
        var run = Guid.NewGuid();
        await fixture.ClientWith(key).PostBatchAsync(Point(run, "loss", 1, 0.5));

        var listed = await admin.GetAsync("/api/v1/admin/keys");
        var body = await listed.Content.ReadAsStringAsync();
        body.Should().Contain("ci job").And.NotContain(key, "a secret is shown only when made").And.NotContain(ApiKeySecrets.Hash(key));

        (await admin.DeleteAsync($"/api/v1/admin/keys/{created["id"]}")).StatusCode.Should().Be(HttpStatusCode.NoContent);
        await (await fixture.ClientWith(key).PostAsync("/api/v1/metrics/batch", Batch(Point(run, "loss", 2, 0.5))))
            .ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        await (await admin.DeleteAsync($"/api/v1/admin/keys/{Guid.NewGuid()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        var bad = await (await admin.PostAsync("/api/v1/admin/keys", Json(new { name = "x", scopes = new[] { "metrics:delete" } })))
            .ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        bad["errors"]!.ToJsonString().Should().Contain("metrics:delete");
    }

    [Fact]
    public async Task The_hub_and_the_raw_websocket_need_a_read_key_sent_as_access_token()
    {
        var hubUrl = new Uri(fixture.Anonymous.BaseAddress!, "/hubs/metrics");
        foreach (var key in new[] { null, fixture.Writer, fixture.Revoked })
        {
            var refused = new HubConnectionBuilder().WithUrl(hubUrl, o => o.AccessTokenProvider = () => Task.FromResult(key)).Build();
            var start = () => refused.StartAsync();
            (await start.Should().ThrowAsync<HttpRequestException>()).Which.StatusCode.Should().BeOneOf(HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden);
            await refused.DisposeAsync();
        }

        await using var hub = new HubConnectionBuilder().WithUrl(hubUrl, o => o.AccessTokenProvider = () => Task.FromResult<string?>(fixture.Reader)).Build();
        await hub.StartAsync();
        hub.State.Should().Be(HubConnectionState.Connected);

        var wsBase = new UriBuilder(fixture.Anonymous.BaseAddress!) { Scheme = "ws" }.Uri;
        var run = Guid.NewGuid();
        using (var refused = new ClientWebSocket())
        {
            var connect = () => refused.ConnectAsync(new Uri(wsBase, $"/ws/metrics/{run}?access_token={fixture.Writer}"), CancellationToken.None);
            await connect.Should().ThrowAsync<WebSocketException>();
        }

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(wsBase, $"/ws/metrics/{run}?access_token={fixture.Reader}"), CancellationToken.None);
        socket.State.Should().Be(WebSocketState.Open);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task No_key_reaches_the_logs()
    {
        // Every way a key travels, valid and not: headers, the hub's query string, a bad key.
        await fixture.ClientWith(fixture.Reader).GetAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics/loss/latest");
        var client = fixture.Factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", fixture.Writer);
        await client.PostAsync("/api/v1/metrics/batch", Batch(Point(Guid.NewGuid(), "loss", -1, 0.5)));
        await fixture.ClientWith("msk_not-a-key-at-all").GetAsync("/api/v1/runs");
        await using (var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(fixture.Anonymous.BaseAddress!, "/hubs/metrics"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(fixture.Reader)).Build())
        {
            await hub.StartAsync();
        }

        fixture.Logs.Lines.Should().NotBeEmpty("the capture sees the host's log");
        foreach (var secret in new[] { fixture.Reader, fixture.Writer, fixture.Admin, "msk_not-a-key-at-all" })
        {
            fixture.Logs.Lines.Should().NotContain(line => line.Contains(secret, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_command_line_creates_lists_and_revokes_keys()
    {
        var output = new StringWriter();
        (await KeyCommands.RunAsync(fixture.Factory.Services, ["create", "--scopes", "metrics:read", "--name", "notebook"], output)).Should().Be(0);
        var key = output.ToString().Split('\n').Single(l => l.StartsWith("key:", StringComparison.Ordinal))["key:".Length..].Trim();
        var id = output.ToString().Split('\n').Single(l => l.StartsWith("id:", StringComparison.Ordinal))["id:".Length..].Trim();
        (await fixture.ClientWith(key).GetAsync("/api/v1/runs")).StatusCode.Should().Be(HttpStatusCode.OK);

        var list = new StringWriter();
        (await KeyCommands.RunAsync(fixture.Factory.Services, ["list"], list)).Should().Be(0);
        list.ToString().Should().Contain(id).And.Contain("notebook").And.NotContain(key);

        (await KeyCommands.RunAsync(fixture.Factory.Services, ["revoke", id], new StringWriter())).Should().Be(0);
        (await fixture.ClientWith(key).GetAsync("/api/v1/runs")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var bad = new StringWriter();
        (await KeyCommands.RunAsync(fixture.Factory.Services, ["create", "--scopes", "root"], bad)).Should().Be(1);
        bad.ToString().Should().Contain("'root' is not a scope");
        (await KeyCommands.RunAsync(fixture.Factory.Services, ["make"], new StringWriter())).Should().Be(2);
    }

    [Fact]
    public async Task A_project_key_touches_only_its_projects_runs_and_claims_new_ones()
    {
        var project = $"alpha-{Guid.NewGuid():N}";
        var alpha = fixture.ClientWith((await fixture.CreateProjectKeyAsync(project, "metrics:write", "metrics:read")).Key);
        var beta = fixture.ClientWith((await fixture.CreateProjectKeyAsync($"beta-{Guid.NewGuid():N}", "metrics:write", "metrics:read")).Key);
        var global = fixture.ClientWith(fixture.Admin);
        var (ours, open, fresh) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await alpha.PostBatchAsync(Point(ours, "loss", 1, 0.5, "2096-01-01T00:00:00Z")); // a new run joins the project
        await global.PostBatchAsync(Point(open, "loss", 1, 0.5, "2096-01-01T00:00:01Z")); // written by an unbound key: no project

        (await alpha.GetJsonAsync($"/api/v1/runs/{ours}/metrics/loss/stats"))["count"]!.GetValue<long>().Should().Be(1);
        foreach (var url in new[] { $"/api/v1/runs/{ours}/metrics/loss/stats", $"/api/v1/runs/{ours}/metrics/loss", $"/api/v1/runs/{ours}/metric-names",
                     $"/api/v1/metrics/loss?run_ids={ours}", $"/api/v1/runs/{ours}/system-metrics" })
        {
            (await (await beta.GetAsync(url)).ShouldBeProblemAsync(HttpStatusCode.Forbidden))["detail"]!.GetValue<string>().Should().Contain(ours.ToString());
        }

        await (await alpha.GetAsync($"/api/v1/runs/{open}/metrics/loss/latest")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await alpha.PostAsync("/api/v1/metrics/batch", Batch(Point(open, "loss", 2, 0.5)))).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await beta.PostAsync("/api/v1/metrics/batch", Batch(Point(ours, "loss", 2, 0.5)))).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await alpha.PostAsync("/api/v1/metrics/batch", Batch(Point(ours, "loss", 3, 0.5), Point(open, "loss", 3, 0.5))))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        (await global.GetJsonAsync($"/api/v1/runs/{ours}/metrics/loss/stats"))["count"]!.GetValue<long>().Should().Be(1, "refused batches wrote nothing");
        (await global.GetJsonAsync($"/api/v1/runs/{open}/metrics/loss/stats"))["count"]!.GetValue<long>().Should().Be(1);

        await alpha.PostBatchAsync(Point(ours, "loss", 2, 0.25, "2096-01-01T00:00:02Z"), Point(fresh, "acc", 1, 0.1, "2096-01-01T00:00:03Z"));
        var listed = (await alpha.GetJsonAsync("/api/v1/runs?limit=1000"))["runs"]!.AsArray().Select(r => r!["run_id"]!.GetValue<Guid>()).ToList();
        listed.Should().BeEquivalentTo([fresh, ours], "a project key lists its project's runs only");
        (await global.GetJsonAsync("/api/v1/runs?limit=1000"))["runs"]!.AsArray().Select(r => r!["run_id"]!.GetValue<Guid>())
            .Should().Contain([ours, open, fresh]);

        // Describing a run follows the rules of writes: its own and new runs (which join), no other.
        (await (await alpha.PutAsync($"/api/v1/runs/{ours}", Json(new { name = "ours" }))).ReadJsonAsync(HttpStatusCode.OK))["name"]!.GetValue<string>().Should().Be("ours");
        await (await beta.PutAsync($"/api/v1/runs/{ours}", Json(new { name = "taken" }))).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await alpha.PutAsync($"/api/v1/runs/{open}", Json(new { name = "taken" }))).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        var described = Guid.NewGuid();
        await (await alpha.PutAsync($"/api/v1/runs/{described}", Json(new { name = "planned" }))).ReadJsonAsync(HttpStatusCode.OK);
        await (await beta.GetAsync($"/api/v1/runs/{described}")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await beta.PostAsync("/api/v1/metrics/batch", Batch(Point(described, "loss", 1, 0.5)))).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        (await global.GetJsonAsync($"/api/v1/runs/{ours}"))["name"]!.GetValue<string>().Should().Be("ours", "refused descriptions wrote nothing");
        (await global.GetJsonAsync($"/api/v1/runs/{open}"))["name"].Should().BeNull();
        (await beta.GetJsonAsync("/api/v1/runs?search=planned"))["runs"]!.AsArray().Should().BeEmpty();

        // Live: the hub refuses another project's run; the raw WebSocket refuses it before the upgrade and in a subscribe message.
        var hubUrl = new Uri(fixture.Anonymous.BaseAddress!, "/hubs/metrics");
        await using var betaHub = new HubConnectionBuilder().WithUrl(hubUrl, o => o.AccessTokenProvider = () => Task.FromResult<string?>(beta.DefaultRequestHeaders.Authorization!.Parameter)).Build();
        await betaHub.StartAsync();
        var subscribe = () => betaHub.InvokeAsync("SubscribeToRun", ours.ToString(), (string[]?)null);
        (await subscribe.Should().ThrowAsync<HubException>()).Which.Message.Should().Contain(ours.ToString());
        await using var alphaHub = new HubConnectionBuilder().WithUrl(hubUrl, o => o.AccessTokenProvider = () => Task.FromResult<string?>(alpha.DefaultRequestHeaders.Authorization!.Parameter)).Build();
        await alphaHub.StartAsync();
        await alphaHub.InvokeAsync("SubscribeToRun", ours.ToString(), (string[]?)null);

        var wsBase = new UriBuilder(fixture.Anonymous.BaseAddress!) { Scheme = "ws" }.Uri;
        using (var refused = new ClientWebSocket())
        {
            var connect = () => refused.ConnectAsync(new Uri(wsBase, $"/ws/metrics/{ours}?access_token={beta.DefaultRequestHeaders.Authorization!.Parameter}"), CancellationToken.None);
            await connect.Should().ThrowAsync<WebSocketException>();
        }

        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(wsBase, $"/ws/metrics/{ours}?access_token={alpha.DefaultRequestHeaders.Authorization!.Parameter}"), CancellationToken.None);
        await socket.SendAsync(System.Text.Encoding.UTF8.GetBytes($$$"""{"type":"subscribe","payload":{"run_id":"{{{open}}}"}}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        var reply = JsonNode.Parse(buffer.AsSpan(0, received.Count))!;
        reply["type"]!.GetValue<string>().Should().Be("error");
        reply["payload"]!["message"]!.GetValue<string>().Should().Contain(open.ToString());
    }

    [Theory]
    [InlineData("Production", "none", "AUTH_MODE=none is for local development")]
    [InlineData("Development", "open", "AUTH_MODE must be 'keys' or 'none'")]
    public void Auth_cannot_be_switched_off_in_production_nor_misspelt(string environment, string mode, string message)
    {
        using var factory = new ApiFactory(settings: new Dictionary<string, string> { ["AUTH_MODE"] = mode })
            .WithWebHostBuilder(b => b.UseEnvironment(environment));

        var start = () => factory.CreateClient();

        start.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage($"*{message}*");
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string url) =>
        client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url)
        {
            Content = method is "POST" or "PUT" ? Json("{}") : null,
        });
}
