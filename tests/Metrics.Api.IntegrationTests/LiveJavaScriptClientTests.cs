using System.Diagnostics;
using System.Text.Json;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>The official @microsoft/signalr client under Node (tests/js), as dashboards use it.</summary>
[Collection(ApiCollection.Name)]
public sealed class LiveJavaScriptClientTests(LiveFixture live) : IClassFixture<LiveFixture>
{
    [Fact]
    public async Task The_javascript_client_subscribes_with_a_filter_and_receives_the_rest_shape()
    {
        NodePackages.ShouldBeInstalled("@microsoft/signalr");
        var run = Guid.NewGuid();
        var baseUrl = live.ClientB.BaseAddress!.ToString().TrimEnd('/');
        using var node = Process.Start(new ProcessStartInfo("node", ["live-client.mjs", baseUrl, run.ToString(), "loss"])
        {
            WorkingDirectory = NodePackages.Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            (await ReadLineAsync(node)).Should().Be("ready", await StdErrIfExitedAsync(node));

            await live.ClientA.PostBatchAsync(Point(run, "loss", 1, 0.5), Point(run, "acc", 1, 0.9));
            await live.ClientA.PostBatchAsync(Point(run, "loss", 2, "Infinity"));

            var first = JsonDocument.Parse(await ReadLineAsync(node)).RootElement;
            var second = JsonDocument.Parse(await ReadLineAsync(node)).RootElement;
            first.GetProperty("run_id").GetGuid().Should().Be(run);
            first.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("metric_name").GetString()).Should().Equal("loss");
            first.GetProperty("metrics")[0].EnumerateObject().Select(p => p.Name)
                .Should().Equal("run_id", "metric_name", "step", "value", "time", "metadata");
            second.GetProperty("seq").GetInt64().Should().Be(first.GetProperty("seq").GetInt64() + 1);
            second.GetProperty("metrics")[0].GetProperty("value").GetString().Should().Be("Infinity");
            (await node.WaitForExitAsync(TimeSpan.FromSeconds(10))).Should().Be(0);
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill();
            }
        }
    }

    private static async Task<string> ReadLineAsync(Process node)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await node.StandardOutput.ReadLineAsync(timeout.Token) ?? string.Empty;
    }

    private static async Task<string> StdErrIfExitedAsync(Process node) =>
        node.HasExited ? await node.StandardError.ReadToEndAsync() : "node is still running";
}

internal static class ProcessExtensions
{
    public static async Task<int> WaitForExitAsync(this Process process, TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }
}
