using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;
using Npgsql;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>Health probes and graceful shutdown (issue 8).</summary>
[Collection(ApiCollection.Name)]
public sealed class OperabilityTests
{
    [Fact]
    public async Task Readiness_follows_postgresql_without_a_restart_while_liveness_stays_up()
    {
        var (host, port) = TestEnvironment.DatabaseEndpoint;
        await using var proxy = new TcpToggleProxy(host, port);
        var url = new NpgsqlConnectionStringBuilder(TestEnvironment.DatabaseConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 2 }.ConnectionString;
        await using var api = new ApiFactory(databaseUrl: url);
        var client = api.CreateClient();

        var ready = await client.GetJsonAsync("/health/ready");
        ready["status"]!.GetValue<string>().Should().Be("healthy");
        ready["checks"]!.AsObject().Select(c => c.Key).Should().BeEquivalentTo(["postgresql", "migrations", "redis", "shutdown"]);
        (await client.GetJsonAsync("/health"))["checks"]!.AsObject().Select(c => c.Key).Should().BeEquivalentTo(["postgresql", "redis"], "/health keeps its old answer");

        proxy.Down();
        var down = await client.GetAsync("/health/ready");
        down.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        JsonNode.Parse(await down.Content.ReadAsStringAsync())!["checks"]!["postgresql"]!.GetValue<string>().Should().Be("unhealthy");
        (await client.GetAsync("/health/live")).StatusCode.Should().Be(HttpStatusCode.OK, "the process is up");

        proxy.Up();
        var back = Stopwatch.StartNew();
        while ((await client.GetAsync("/health/ready")).StatusCode != HttpStatusCode.OK)
        {
            back.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(10), "ready again once PostgreSQL answers");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Sigterm_during_writes_commits_every_acknowledged_batch_closes_live_connections_and_exits_0()
    {
        var port = ServiceProcess.FreePort();
        var api = ServiceProcess.Directory;
        using var process = Process.Start(new ProcessStartInfo("dotnet", ["Metrics.Api.dll"])
        {
            WorkingDirectory = api,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["TIMESCALE_URL"] = TestEnvironment.DatabaseUrl,
                ["REDIS_URL"] = TestEnvironment.RedisUrl,
                ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["ENVIRONMENT"] = "development",
                ["SHUTDOWN_GRACE_SECONDS"] = "10",
                ["Logging__LogLevel__Default"] = "Warning",
            },
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var started = Stopwatch.StartNew();
            while (!await IsReadyAsync(http))
            {
                started.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), "the service starts");
                await Task.Delay(200);
            }

            var run = Guid.NewGuid();
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/ws/metrics/{run}"), CancellationToken.None);
            // A SignalR client as the wire sees it (JSON protocol over a WebSocket), and the .NET client.
            using var signalR = new ClientWebSocket();
            await signalR.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/hubs/metrics"), CancellationToken.None);
            await signalR.SendAsync("{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            (await ReceiveTextAsync(signalR)).Should().Be("{}\u001e", "the handshake succeeded");
            await using var hub = new HubConnectionBuilder().WithUrl($"http://127.0.0.1:{port}/hubs/metrics").WithAutomaticReconnect().Build();
            var hubReconnecting = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            hub.Reconnecting += e => { hubReconnecting.TrySetResult(e); return Task.CompletedTask; };
            await hub.StartAsync();
            await hub.InvokeAsync("SubscribeToRun", run.ToString(), (string[]?)null);

            // The raw client reads all along: one that stops reading while 4 writers publish is
            // rightly dropped as too slow (its send queue holds 256 batches).
            var rawClosed = Task.Run(async () =>
            {
                var buffer = new byte[64 * 1024];
                WebSocketReceiveResult received;
                do
                {
                    received = await socket.ReceiveAsync(buffer, CancellationToken.None);
                }
                while (received.MessageType != WebSocketMessageType.Close);
            });
            var acknowledged = new System.Collections.Concurrent.ConcurrentBag<long>();
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                for (var batch = 0; ; batch++)
                {
                    var steps = Enumerable.Range(0, 200).Select(i => (long)(((w * 100_000) + (batch * 200)) + i)).ToArray();
                    try
                    {
                        var response = await http.PostAsync("/api/v1/metrics/batch", Batch(steps.Select(s => Point(run, "loss", s, 0.5)).ToArray()));
                        if (!response.IsSuccessStatusCode)
                        {
                            return;
                        }

                        foreach (var s in steps)
                        {
                            acknowledged.Add(s);
                        }
                    }
                    catch (HttpRequestException)
                    {
                        return; // the server stopped accepting
                    }
                }
            })).ToList();

            await Task.Delay(1500);
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            var stopping = Stopwatch.StartNew();

            (await Task.WhenAny(rawClosed, Task.Delay(TimeSpan.FromSeconds(12)))).Should().BeSameAs(rawClosed, "the raw WebSocket is closed within the grace period");
            await rawClosed;
            socket.CloseStatus.Should().Be(WebSocketCloseStatus.EndpointUnavailable, "live clients are told to reconnect elsewhere");
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); // as a client answers a close
            // SignalR: a close message that allows reconnecting, then a normal WebSocket close.
            var records = new List<string>();
            for (var text = await ReceiveTextAsync(signalR); text is not null; text = await ReceiveTextAsync(signalR))
            {
                records.AddRange(text.Split('\u001e', StringSplitOptions.RemoveEmptyEntries));
            }

            records.Where(r => r != "{\"type\":6}").Should().Equal(["{\"type\":7,\"allowReconnect\":true}"], "besides pings, SignalR clients get a close message telling them to reconnect");
            signalR.CloseStatus.Should().Be(WebSocketCloseStatus.NormalClosure);
            await signalR.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            (await Task.WhenAny(hubReconnecting.Task, Task.Delay(TimeSpan.FromSeconds(12)))).Should().BeSameAs(hubReconnecting.Task, "the .NET client reconnects");
            (await hubReconnecting.Task).Should().BeNull("the server closed the connection cleanly rather than dropping it");

            var writersDone = Task.WhenAll(writers);
            (await Task.WhenAny(writersDone, Task.Delay(TimeSpan.FromSeconds(15)))).Should().BeSameAs(writersDone, "every writer stops once the server stops accepting");
            process.WaitForExit(TimeSpan.FromSeconds(12)).Should().BeTrue("the process ends within the grace period");
            stopping.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(11));
            process.ExitCode.Should().Be(0);

            acknowledged.Should().NotBeEmpty();
            var stored = (await Db.Postgres.ReadSeriesAsync(run, "loss")).Select(p => p.Step!.Value).ToHashSet();
            acknowledged.Where(s => !stored.Contains(s)).Should().BeEmpty("every acknowledged batch was committed");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    /// <summary>The next text message, or null once the server's close frame arrived.</summary>
    private static async Task<string?> ReceiveTextAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        var length = 0;
        WebSocketReceiveResult received;
        do
        {
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(12));
            received = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), wait.Token);
            length += received.Count;
        }
        while (!received.EndOfMessage);
        return received.MessageType == WebSocketMessageType.Close ? null : System.Text.Encoding.UTF8.GetString(buffer, 0, length);
    }

    private static async Task<bool> IsReadyAsync(HttpClient http)
    {
        try
        {
            return (await http.GetAsync("/health/ready")).IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }



}
