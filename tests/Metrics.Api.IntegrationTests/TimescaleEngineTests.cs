using System.Net;
using System.Text.Json.Nodes;
using Metrics.Api.IntegrationTests.Support;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// The service on a real TimescaleDB engine: TimescaleDB 2.23 in PGlite (PostgreSQL 17 in
/// WebAssembly), which ./build/test starts (tests/timescale). It serves one connection at a time
/// and has no COPY: the service keeps a pool of one connection (which the tests' own queries share),
/// prepares nothing (all connections share one server session), and stages rows with INSERT, which
/// it picks by itself.
/// </summary>
public sealed class TimescaleEngineFixture : IAsyncLifetime
{
    public static string ConnectionString { get; } =
        (Environment.GetEnvironmentVariable("TEST_TIMESCALEDB_URL")
            ?? "Host=127.0.0.1;Port=55460;Username=postgres;Password=postgres;Database=postgres;SSL Mode=Disable")
        + ";Maximum Pool Size=1;Max Auto Prepare=0;Timeout=60;Command Timeout=120";

    public ApiFactory Factory { get; } = new(databaseUrl: ConnectionString);

    public HttpClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Client = Factory.CreateClient(); // starts the host, which migrates the database
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>A query through the service's own pool: a second connection would wait for the first.</summary>
    public async Task<List<string>> ColumnAsync(string sql)
    {
        await using var command = Factory.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetValue(0).ToString()!);
        }

        return values;
    }
}

[Collection(ApiCollection.Name)]
public sealed class TimescaleEngineTests(TimescaleEngineFixture fixture) : IClassFixture<TimescaleEngineFixture>
{
    private readonly HttpClient _client = fixture.Client;

    [Fact]
    public async Task The_migrations_make_hypertables_on_time()
    {
        (await fixture.ColumnAsync("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"))
            .Should().ContainSingle().Which.Should().StartWith("2.");
        (await fixture.ColumnAsync(
                "SELECT hypertable_name || ':' || column_name FROM timescaledb_information.dimensions ORDER BY 1"))
            .Should().Equal("metrics:time", "system_metrics:time");
    }

    [Fact]
    public async Task Writes_retries_and_every_read_work_on_the_hypertables()
    {
        var run = Guid.NewGuid();
        var points = Enumerable.Range(0, 3000)
            .Select(i => Point(run, "loss", i, i == 1234 ? "NaN" : 1.0 / (i + 1), DateTimeOffset.Parse("2024-05-01T00:00:00Z").AddMinutes(i).ToString("O")))
            .ToArray();
        foreach (var chunk in points.Chunk(1000))
        {
            (await _client.PostBatchAsync(chunk))["inserted"]!.GetValue<int>().Should().Be(1000);
        }

        (await _client.PostBatchAsync(points[..1000]))["duplicates"]!.GetValue<int>().Should().Be(1000, "a retry stores nothing");
        var history = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss?order=asc&limit=5");
        history["metrics"]!.AsArray().Select(m => m!["step"]!.GetValue<long>()).Should().Equal(0, 1, 2, 3, 4);
        var latest = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest");
        latest["step"]!.GetValue<long>().Should().Be(2999);
        var stats = await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats");
        stats["count"]!.GetValue<long>().Should().Be(3000);
        stats["nan_count"]!.GetValue<long>().Should().Be(1);
        stats["max_value"]!.GetValue<double>().Should().Be(1.0);
        stats["min_value"]!.GetValue<double>().Should().Be(1.0 / 3000);

        // 3000 steps in 2 buckets: the 1024-step rollups; in 3000: the raw points.
        foreach (var bucketsAsked in new[] { 2, 3000 })
        {
            var buckets = (await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/downsampled?points={bucketsAsked}"))["buckets"]!.AsArray();
            buckets.Sum(b => b!["count"]!.GetValue<long>()).Should().Be(3000);
            buckets.Sum(b => b!["non_finite"]!.GetValue<long>()).Should().Be(1);
            buckets.Max(b => b!["max"]?.GetValue<double>() ?? double.MinValue).Should().Be(1.0);
        }

        (await fixture.ColumnAsync(
                $"SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'metrics'"))
            .Single().Should().NotBe("0", "points were stored in the hypertable's chunks");
    }

    [Fact]
    public async Task System_metrics_and_the_run_list_work_and_a_bad_batch_writes_nothing()
    {
        var run = Guid.NewGuid();
        var system = await _client.PostAsync("/api/v1/metrics/system/batch", Json(new
        {
            metrics = new object[]
            {
                new { run_id = run, metric_type = "gpu_util", value = 97.5, time = "2024-05-01T12:00:00Z", metadata = new { gpu = 0 } },
                new { run_id = run, metric_type = "gpu_util", value = 95.0, time = "2024-05-01T12:00:00Z", metadata = new { gpu = 1 } },
            },
        }));
        (await system.ReadJsonAsync(HttpStatusCode.Created))["inserted"]!.GetValue<int>().Should().Be(2);
        (await _client.GetJsonAsync($"/api/v1/runs/{run}/system-metrics"))["count"]!.GetValue<int>().Should().Be(2);

        var bad = await _client.PostAsync("/api/v1/metrics/batch", Batch(Point(run, "loss", 1, 0.5), Point(run, "loss", -1, 0.5)));
        await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        (await _client.GetJsonAsync($"/api/v1/runs/{run}/metric-names"))["metric_names"]!.AsArray().Should().BeEmpty();

        // Later than anything written before, also on a reused engine.
        await _client.PostBatchAsync(Point(run, "acc", 1, 0.5, DateTimeOffset.UtcNow.AddYears(100).ToString("O")));
        var runs = (await _client.GetJsonAsync("/api/v1/runs?limit=1"))["runs"]!.AsArray();
        runs.Single()!["run_id"]!.GetValue<Guid>().Should().Be(run);
    }
}
