using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Metrics.Api.IntegrationTests;

/// <summary>Logs (issue 8): JSON in production, one line per failed request with its trace id, no storm during an outage.</summary>
[Collection(ApiCollection.Name)]
public sealed class LoggingTests
{
    [Fact]
    public async Task Production_logs_json_and_a_failed_request_is_one_line_with_its_trace_id_and_no_query_string()
    {
        var logs = new LogCapture();
        await using var api = new ApiFactory(settings: new Dictionary<string, string> { ["AUTH_MODE"] = "keys" }, logging: logs);
        using var production = api.WithWebHostBuilder(b => b.UseEnvironment("Production"));
        var client = production.CreateClient();

        var response = await client.GetAsync("/api/v1/runs?access_token=msk_secret-in-the-query");

        ((int)response.StatusCode).Should().Be(401);
        production.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName.Should().Be(ConsoleFormatterNames.Json);
        var lines = logs.Lines.Where(l => l.Contains("GET /api/v1/runs failed: 401", StringComparison.Ordinal)).ToList();
        lines.Should().ContainSingle().Which.Should().MatchRegex("trace [0-9a-f]{32}").And.NotContain("msk_secret-in-the-query");
    }

    [Fact]
    public async Task While_postgresql_is_down_failures_are_logged_once_per_ten_seconds_not_once_per_request()
    {
        var logs = new LogCapture();
        var (host, port) = TestEnvironment.DatabaseEndpoint;
        await using var proxy = new TcpToggleProxy(host, port);
        var url = new NpgsqlConnectionStringBuilder(TestEnvironment.DatabaseConnectionString) { Host = "127.0.0.1", Port = proxy.Port, Timeout = 2 }.ConnectionString;
        await using var api = new ApiFactory(databaseUrl: url, logging: logs);
        var client = api.CreateClient();
        proxy.Down();

        for (var i = 0; i < 20; i++)
        {
            ((int)(await client.GetAsync($"/api/v1/runs/{Guid.NewGuid()}/metrics/loss/stats")).StatusCode).Should().Be(503);
        }

        logs.Lines.Count(l => l.Contains("failed: 503", StringComparison.Ordinal)).Should().BeLessThanOrEqualTo(1, "20 failures in well under 10 s make one line");
        logs.Lines.Count(l => l.Contains("Database unavailable", StringComparison.Ordinal)).Should().BeLessThanOrEqualTo(1);
    }
}
