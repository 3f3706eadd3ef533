using Metrics.Infrastructure.Caching;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>
/// A running service on one storage back end. The storage-facing suites (ingest, queries,
/// summaries, downsampling, system metrics) are abstract classes over this, run once per back end.
/// </summary>
public interface IStorageFixture
{
    ApiFactory Factory { get; }

    HttpClient Client { get; }

    Db Db { get; }

    /// <summary>
    /// Lets the back end's background work catch up with what was written: on TimescaleDB, runs the
    /// continuous aggregates' refresh policies, without which points written with past times
    /// (older than the aggregates' materialization) are not in time-bucketed reads yet.
    /// </summary>
    Task SettleAsync();
}

/// <summary>
/// The service on a real TimescaleDB engine: TimescaleDB 2.23 in PGlite (PostgreSQL 17 in
/// WebAssembly), which ./build/test starts (tests/timescale). It serves one connection at a time
/// and has no COPY: the service keeps a pool of one connection (which <see cref="Db"/> shares),
/// prepares nothing (all connections share one server session), and stages rows with INSERT, which
/// it picks by itself. Storage settings differ from the defaults so that applying them is tested;
/// Redis database 1 keeps its cache apart from the PostgreSQL suite's.
/// </summary>
public sealed class TimescaleFixture : IStorageFixture, IAsyncLifetime
{
    public static string ConnectionString { get; } =
        (Environment.GetEnvironmentVariable("TEST_TIMESCALEDB_URL")
            ?? "Host=127.0.0.1;Port=55460;Username=postgres;Password=postgres;Database=postgres;SSL Mode=Disable")
        + ";Maximum Pool Size=1;Max Auto Prepare=0;Timeout=60;Command Timeout=120";

    public static readonly IReadOnlyDictionary<string, string> Settings = new Dictionary<string, string>
    {
        ["CHUNK_INTERVAL_HOURS"] = "12",
        ["COMPRESS_AFTER_DAYS"] = "3",
        ["RETENTION_DAYS"] = "36500",
    };

    public ApiFactory Factory { get; } = new(databaseUrl: ConnectionString, redisUrl: TestEnvironment.RedisUrl.TrimEnd('/') + "/1", settings: Settings);

    public HttpClient Client { get; private set; } = null!;

    /// <summary>Through the service's own pool: a second connection would wait for the first.</summary>
    public Db Db { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Client = Factory.CreateClient(); // starts the host, which migrates the database
        Db = new Db(Factory.Services.GetRequiredService<NpgsqlDataSource>());
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    /// <summary>The refresh policies' own jobs, in the foreground (this engine runs no background workers).</summary>
    public async Task SettleAsync()
    {
        foreach (var view in new[] { "metric_minutes", "metric_hours" })
        {
            var job = (await Db.ColumnAsync(
                $"SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name = '{view}' AND proc_name = 'policy_refresh_continuous_aggregate'")).Single();
            await Db.ExecuteAsync($"CALL run_job({job})");
        }
    }

    /// <summary>Makes every cached read unreachable (a new cache epoch), so the next reads come from storage.</summary>
    public async Task ForgetCachedReadsAsync() =>
        await Factory.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().StringSetAsync(RedisQueryCache.EpochKey, Guid.NewGuid().ToString("N"));
}

[CollectionDefinition(Name)]
public sealed class TimescaleCollection : ICollectionFixture<TimescaleFixture>
{
    public const string Name = "timescaledb";
}
