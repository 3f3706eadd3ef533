using System.Globalization;
using System.Net;
using Metrics.Infrastructure.Persistence;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>
/// What only TimescaleDB has: hypertables, compression, policies and continuous aggregates. The
/// storage-facing suites also run against this engine (their *OnTimescale classes).
/// </summary>
[Collection(TimescaleCollection.Name)]
public sealed class TimescaleEngineTests(TimescaleFixture fixture)
{
    private readonly HttpClient _client = fixture.Client;
    private readonly Db _db = fixture.Db;

    [Fact]
    public async Task The_migrations_make_hypertables_with_the_configured_chunk_interval()
    {
        (await _db.ColumnAsync("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"))
            .Should().ContainSingle().Which.Should().StartWith("2.");
        (await _db.ColumnAsync("""
                SELECT hypertable_name || ':' || column_name || ':' || time_interval FROM timescaledb_information.dimensions
                WHERE hypertable_name IN ('points', 'system_metrics') ORDER BY 1
                """))
            .Should().Equal("points:time:12:00:00", "system_metrics:time:12:00:00"); // CHUNK_INTERVAL_HOURS=12
    }

    [Fact]
    public async Task Compression_retention_and_refresh_policies_follow_the_configuration_and_survive_a_restart()
    {
        (await _db.ColumnAsync("""
                SELECT hypertable_name || ':' || attname || ':' || coalesce('segment ' || segmentby_column_index, 'order ' || orderby_column_index)
                FROM timescaledb_information.compression_settings ORDER BY 1
                """))
            .Should().Equal(
                "points:series_id:segment 1", "points:step:order 1", "points:time:order 2",
                "system_metrics:metric_type:segment 2", "system_metrics:run_id:segment 1", "system_metrics:time:order 1");
        var jobs = await JobsAsync();
        jobs.Should().BeEquivalentTo(
            "points:policy_compression:compress_after=3 days",  // COMPRESS_AFTER_DAYS=3
            "system_metrics:policy_compression:compress_after=3 days",
            "points:policy_retention:drop_after=36500 days",    // RETENTION_DAYS=36500
            "system_metrics:policy_retention:drop_after=36500 days",
            "metric_minutes:policy_refresh_continuous_aggregate:start_offset=36500 days", // refreshes stop where points are dropped
            "metric_hours:policy_refresh_continuous_aggregate:start_offset=36500 days");
        (await _db.ColumnAsync("SELECT view_name || ':' || materialized_only FROM timescaledb_information.continuous_aggregates ORDER BY 1"))
            .Should().Equal("metric_hours:false", "metric_minutes:false");

        // Another start with the same settings leaves every job as it was (same ids, same schedule).
        var ids = await _db.ColumnAsync("SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL ORDER BY 1");
        await fixture.Factory.Services.MigrateDatabaseAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
        (await _db.ColumnAsync("SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL ORDER BY 1"))
            .Should().Equal(ids);
        (await JobsAsync()).Should().BeEquivalentTo(jobs);
    }

    [Fact]
    public async Task A_compressed_chunk_answers_every_read_the_same_and_takes_late_points()
    {
        var run = Guid.NewGuid();
        var start = new DateTime(2023, 3, 1, 1, 0, 0, DateTimeKind.Utc);
        var points = Enumerable.Range(0, 600)
            .Select(i => Point(run, "loss", i, i == 300 ? "NaN" : Math.Cos(i / 30.0), Iso(start.AddSeconds(5 * i)), i % 100 == 0 ? new { epoch = i / 100 } : null))
            .ToArray();
        await _client.PostBatchAsync(points[..300]);
        await _client.PostBatchAsync(points[300..]);
        await PostSystemAsync(new { run_id = run, metric_type = "cpu", value = 12.5, time = Iso(start) });
        var reads = new[]
        {
            $"/api/v1/runs/{run}/metrics/loss?order=asc&limit=10000",
            $"/api/v1/runs/{run}/metrics/loss?start_time=2023-03-01T01:10:00Z&end_time=2023-03-01T01:20:00Z&min_step=150",
            $"/api/v1/runs/{run}/metrics/loss/latest",
            $"/api/v1/runs/{run}/metrics/loss/stats",
            $"/api/v1/runs/{run}/metrics/loss/downsampled?points=7",
            $"/api/v1/runs/{run}/metrics/loss/downsampled?points=600",
            $"/api/v1/runs/{run}/metrics/loss/time-buckets?points=10",
            $"/api/v1/runs/{run}/metrics/loss/time-buckets?points=1000",
            $"/api/v1/runs/{run}/system-metrics",
        };
        var before = await ReadAllAsync(reads);

        var chunkFilter = "older_than => '2023-03-02'::timestamptz, newer_than => '2023-02-28'::timestamptz";
        await _db.ExecuteAsync($"SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks('points', {chunkFilter}) c");
        await _db.ExecuteAsync($"SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks('system_metrics', {chunkFilter}) c");
        (await _db.ColumnAsync("""
                SELECT hypertable_name || ':' || is_compressed FROM timescaledb_information.chunks
                WHERE hypertable_name IN ('points', 'system_metrics') AND range_start < '2023-03-02' AND range_end > '2023-02-28' ORDER BY 1
                """))
            .Should().Equal("points:true", "system_metrics:true");
        await fixture.ForgetCachedReadsAsync();

        (await ReadAllAsync(reads)).Should().Equal(before, "compression changes how points are stored, not what is read");

        // Late points into the compressed chunk: stored once, duplicates still recognised.
        var late = await _client.PostBatchAsync(points[42], Point(run, "loss", 42, 0.25, Iso(start.AddSeconds(211))), Point(run, "loss", 600, -3.0, Iso(start.AddSeconds(3001))));
        late["inserted"]!.GetValue<int>().Should().Be(2);
        late["duplicates"]!.GetValue<int>().Should().Be(1);
        (await PostSystemAsync(
                new { run_id = run, metric_type = "cpu", value = 12.5, time = Iso(start) },
                new { run_id = run, metric_type = "cpu", value = 13.5, time = Iso(start.AddSeconds(1)) }))
            ["inserted"]!.GetValue<int>().Should().Be(1);
        (await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats"))["count"]!.GetValue<long>().Should().Be(602);
        (await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/latest"))["value"]!.GetValue<double>().Should().Be(-3.0);
        (await _client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss?order=asc&limit=10000"))["metrics"]!.AsArray()
            .Count(m => m!["step"]!.GetValue<long>() == 42).Should().Be(2);
        (await _db.CountMetricsAsync(run)).Should().Be(602);
        (await _db.CountSystemMetricsAsync(run)).Should().Be(2);
    }

    [Fact]
    public async Task The_continuous_aggregates_agree_with_the_raw_points_once_their_refresh_policies_ran()
    {
        var run = Guid.NewGuid();
        var start = new DateTime(2023, 6, 1, 0, 0, 0, DateTimeKind.Utc);
        var points = Enumerable.Range(0, 900)
            .Select(i => Point(run, "loss", i % 7 == 0 ? null : i, i % 97 == 0 ? "Infinity" : Math.Round(Math.Sin(i / 9.0) * 1000, 3), Iso(start.AddSeconds(13 * i))))
            .ToArray();
        await _client.PostBatchAsync(points);

        await fixture.SettleAsync();

        // The materialized rows (the aggregates' own hypertables, without the real-time part) against
        // the same aggregation computed from the points.
        var tables = await _db.ColumnAsync("""
            SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name)
            FROM timescaledb_information.continuous_aggregates ORDER BY view_name DESC
            """);
        var columns = "bucket, count, finite_count, min_value, max_value, finite_sum, first_step, last_step, last_time, last_value";
        (await _db.ColumnAsync($"""
                WITH raw AS (
                    SELECT time_bucket(INTERVAL '1 minute', time) AS bucket, count(*) AS count,
                           count(*) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS finite_count,
                           min(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS min_value,
                           max(value) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS max_value,
                           sum(value::numeric) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')) AS finite_sum,
                           min(step) AS first_step, max(step) AS last_step, max(time) AS last_time,
                           (array_agg(value ORDER BY time DESC))[1] AS last_value
                    FROM metrics WHERE run_id = @run GROUP BY 1
                ), hourly AS (
                    SELECT time_bucket(INTERVAL '1 hour', bucket) AS bucket, sum(count)::bigint AS count, sum(finite_count)::bigint AS finite_count,
                           min(min_value) AS min_value, max(max_value) AS max_value, sum(finite_sum) AS finite_sum,
                           min(first_step) AS first_step, max(last_step) AS last_step, max(last_time) AS last_time,
                           (array_agg(last_value ORDER BY last_time DESC))[1] AS last_value
                    FROM raw GROUP BY 1
                ), minutes AS (
                    SELECT {columns} FROM {tables[0]} WHERE series_id IN (SELECT series_id FROM series WHERE run_id = @run)
                ), hours AS (
                    SELECT {columns} FROM {tables[1]} WHERE series_id IN (SELECT series_id FROM series WHERE run_id = @run)
                )
                SELECT (SELECT count(*) FROM minutes)::text || ' minutes, ' || (SELECT count(*) FROM hours) || ' hours, '
                    || (SELECT count(*) FROM ((SELECT * FROM raw EXCEPT ALL SELECT * FROM minutes) UNION ALL (SELECT * FROM minutes EXCEPT ALL SELECT * FROM raw)) d)
                    || ' + '
                    || (SELECT count(*) FROM ((SELECT * FROM hourly EXCEPT ALL SELECT * FROM hours) UNION ALL (SELECT * FROM hours EXCEPT ALL SELECT * FROM hourly)) d)
                    || ' differ'
                """, run))
            .Should().Equal("195 minutes, 4 hours, 0 + 0 differ");

        // Served by the hour aggregate: a late point into materialized buckets shows after the next refresh.
        var url = $"/api/v1/runs/{run}/metrics/loss/time-buckets?points=4";
        var before = await _client.GetJsonAsync(url);
        before["bucket_seconds"]!.GetValue<long>().Should().Be(3600);
        before["total"]!.GetValue<long>().Should().Be(900);
        await _client.PostBatchAsync(Point(run, "loss", 5000, 1e6, Iso(start.AddMinutes(30).AddSeconds(1))));
        (await _client.GetJsonAsync(url))["total"]!.GetValue<long>().Should().Be(900, "the materialized hour is not refreshed yet");

        await fixture.SettleAsync();
        await fixture.ForgetCachedReadsAsync();
        var after = await _client.GetJsonAsync(url);
        after["total"]!.GetValue<long>().Should().Be(901);
        after["buckets"]![0]!["max"]!.GetValue<double>().Should().Be(1e6);

        // Points newer than the materialization (how a training job writes) show at once: real-time aggregation.
        var fresh = Guid.NewGuid();
        var soon = new DateTime(DateTime.UtcNow.Ticks / TimeSpan.TicksPerHour * TimeSpan.TicksPerHour, DateTimeKind.Utc).AddDays(2);
        await _client.PostBatchAsync(Point(fresh, "loss", 1, 2.0, Iso(soon)), Point(fresh, "loss", 2, 4.0, Iso(soon.AddMinutes(90))));
        var live = await _client.GetJsonAsync($"/api/v1/runs/{fresh}/metrics/loss/time-buckets?points=2");
        live["bucket_seconds"]!.GetValue<long>().Should().Be(3600);
        live["buckets"]!.AsArray().Select(b => b!["last"]!.GetValue<double>()).Should().Equal(2.0, 4.0);
    }

    [Fact]
    public async Task The_run_list_and_a_bad_batch_behave_as_on_postgresql()
    {
        var run = Guid.NewGuid();
        var bad = await _client.PostAsync("/api/v1/metrics/batch", Batch(Point(run, "loss", 1, 0.5), Point(run, "loss", -1, 0.5)));
        await bad.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        (await _client.GetJsonAsync($"/api/v1/runs/{run}/metric-names"))["metric_names"]!.AsArray().Should().BeEmpty();

        // Later than anything written before, also on a reused engine.
        await _client.PostBatchAsync(Point(run, "acc", 1, 0.5, DateTimeOffset.UtcNow.AddYears(5).ToString("O")));
        var runs = (await _client.GetJsonAsync("/api/v1/runs?limit=1"))["runs"]!.AsArray();
        runs.Single()!["run_id"]!.GetValue<Guid>().Should().Be(run);
        (await _db.ColumnAsync("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'points'"))
            .Single().Should().NotBe("0", "points are stored in the hypertable's chunks");
    }

    private async Task<List<string>> JobsAsync() =>
        await _db.ColumnAsync("""
            SELECT hypertable_name || ':' || proc_name || ':' || k.key || '=' || (k.value #>> '{}')::interval
            FROM timescaledb_information.jobs j
            CROSS JOIN LATERAL jsonb_each(j.config) k
            WHERE j.hypertable_name IS NOT NULL AND k.key IN ('compress_after', 'drop_after', 'start_offset')
            """);

    private async Task<List<string>> ReadAllAsync(IEnumerable<string> urls)
    {
        var bodies = new List<string>();
        foreach (var url in urls)
        {
            var response = await _client.GetAsync(url);
            var body = await response.Content.ReadAsStringAsync();
            response.StatusCode.Should().Be(HttpStatusCode.OK, body);
            bodies.Add(body);
        }

        return bodies;
    }

    private async Task<System.Text.Json.Nodes.JsonNode> PostSystemAsync(params object[] metrics) =>
        await (await _client.PostAsync("/api/v1/metrics/system/batch", Json(new { metrics }))).ReadJsonAsync(HttpStatusCode.Created);

    private static string Iso(DateTime time) => time.ToString("O", CultureInfo.InvariantCulture);
}
