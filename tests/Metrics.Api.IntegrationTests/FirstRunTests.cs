using System.Diagnostics;
using System.Text.Json;
using Metrics.Api.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Metrics.Api.IntegrationTests;

/// <summary>What a new user meets: the service run from a terminal on an empty database.</summary>
[Collection(ApiCollection.Name)]
public sealed class FirstRunTests
{
    [Fact]
    public async Task On_a_terminal_the_logs_are_readable_lines_and_say_how_to_make_the_first_key()
    {
        await using var database = await ScratchDatabase.CreateAsync("first_run");

        // script(1) gives the service a pseudo-terminal, as a shell running ./build/run does.
        var lines = await FirstLinesAsync(database.Url, terminal: true, until: l => l.Contains("No API key exists yet", StringComparison.Ordinal));

        lines.Should().Contain(l => l.Contains("Now listening on", StringComparison.Ordinal));
        lines.Where(l => l.Length > 0).Should().OnlyContain(l => !l.TrimStart().StartsWith('{'), "a terminal gets readable lines");
        lines.Should().ContainSingle(l => l.Contains("No API key exists yet", StringComparison.Ordinal))
            .Which.Should().Contain(FirstKeyHint.Command);
    }

    [Fact]
    public async Task Without_a_terminal_the_logs_are_json_lines()
    {
        await using var database = await ScratchDatabase.CreateAsync("first_run");

        var lines = await FirstLinesAsync(database.Url, terminal: false, until: l => l.Contains("No API key exists yet", StringComparison.Ordinal));

        lines.Where(l => l.Length > 0).Should().OnlyContain(l => IsJsonObject(l), "log collectors read JSON lines");
    }

    [Fact]
    public async Task Once_a_key_exists_the_hint_is_not_given()
    {
        await using var database = await ScratchDatabase.CreateAsync("first_run");
        await using (var first = new ApiFactory(databaseUrl: database.Url, settings: new Dictionary<string, string> { ["AUTH_MODE"] = "keys" }))
        {
            first.CreateClient();
            await first.CreateKeyAsync(["admin"]);
        }

        var logs = new LogCapture();
        await using var api = new ApiFactory(databaseUrl: database.Url, settings: new Dictionary<string, string> { ["AUTH_MODE"] = "keys" }, logging: logs);
        api.CreateClient();
        await api.Services.GetServices<IHostedService>().OfType<FirstKeyHint>().Single().ExecuteTask!;

        logs.Lines.Should().NotContain(l => l.Contains("No API key exists yet", StringComparison.Ordinal));
    }

    private static bool IsJsonObject(string line)
    {
        try
        {
            return JsonDocument.Parse(line).RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The service's output from its start until a line matches (or 60 s pass); then it is stopped.</summary>
    private static async Task<List<string>> FirstLinesAsync(string databaseUrl, bool terminal, Func<string, bool> until)
    {
        var directory = ServiceProcess.Directory;
        var start = terminal
            ? new ProcessStartInfo("script", ["-qfec", "exec dotnet Metrics.Api.dll", "/dev/null"])
            : new ProcessStartInfo("dotnet", ["Metrics.Api.dll"]);
        start.WorkingDirectory = directory;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.Environment["TIMESCALE_URL"] = databaseUrl;
        start.Environment["REDIS_URL"] = TestEnvironment.RedisUrl;
        start.Environment["PORT"] = ServiceProcess.FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["AUTH_MODE"] = "keys";
        using var process = Process.Start(start)!;
        var lines = new List<string>();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line.TrimEnd('\r'));
                if (until(line))
                {
                    return lines;
                }
            }

            throw new InvalidOperationException("The service ended before the expected line:\n" + string.Join('\n', lines));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }
}
