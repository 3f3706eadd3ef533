using System.Diagnostics;
using System.Text.Json;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// A TypeScript client generated from the build's OpenAPI document (openapi-typescript +
/// openapi-fetch, tests/js/client), type-checked by tsc and run under Node against a live service.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class GeneratedTypeScriptClientTests(LiveFixture live) : IClassFixture<LiveFixture>
{
    [Fact]
    public async Task The_generated_client_compiles_and_round_trips_writes_reads_and_problems()
    {
        NodePackages.ShouldBeInstalled("openapi-typescript");

        // Generate from the document this build wrote, then compile: a schema the client cannot
        // express, or a call that no longer matches it, fails here.
        var (buildExit, buildOutput, buildErrors) = await RunAsync("npm", "run", "--silent", "client:build");
        buildExit.Should().Be(0, buildOutput + buildErrors);

        var run = Guid.NewGuid();
        var (exit, output, errors) = await RunAsync("node", "client/dist/roundtrip.js", live.ClientA.BaseAddress!.ToString().TrimEnd('/'), run.ToString());
        exit.Should().Be(0, errors);

        var result = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        result.GetProperty("inserted").GetInt32().Should().Be(3);
        result.GetProperty("history_steps").EnumerateArray().Select(s => s.GetInt64()).Should().Equal(1, 2, 3);
        result.GetProperty("history_values").EnumerateArray().Select(s => s.GetString()).Should().Equal("0.5", "0.25", "Infinity");
        result.GetProperty("latest_step").GetInt64().Should().Be(3);
        result.GetProperty("latest_value").GetString().Should().Be("Infinity");
        var stats = result.GetProperty("stats");
        stats.GetProperty("count").GetInt64().Should().Be(3);
        stats.GetProperty("inf_count").GetInt64().Should().Be(1);
        stats.GetProperty("min").GetDouble().Should().Be(0.25);
        stats.GetProperty("max").GetDouble().Should().Be(0.5);
        result.GetProperty("bad_status").GetInt32().Should().Be(400);
        result.GetProperty("bad_content_type").GetString().Should().StartWith("application/problem+json");
        result.GetProperty("bad_error_keys").EnumerateArray().Select(k => k.GetString()).Should().Equal("metrics[0].metric_name");
        result.GetProperty("bad_trace_id").GetString().Should().NotBeNullOrEmpty();
        result.GetProperty("not_found_status").GetInt32().Should().Be(404);
        result.GetProperty("not_found_detail").GetString().Should().Contain("no-such-metric");
    }

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args)
        {
            WorkingDirectory = NodePackages.Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
