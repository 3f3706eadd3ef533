using System.Net;
using Metrics.Domain.Metrics;
using Metrics.Infrastructure.Persistence.Writes;
using Microsoft.Extensions.DependencyInjection;
using static Metrics.Api.IntegrationTests.Support.Http;

namespace Metrics.Api.IntegrationTests;

/// <summary>The optimistic COPY, its fallback, and series ids created by racing instances (PostgreSQL: PGlite has no COPY).</summary>
[Collection(ApiCollection.Name)]
public sealed class StorageWriteTests(ApiFixture fixture)
{
    private static readonly DateTimeOffset At = DateTimeOffset.Parse("2024-05-01T12:00:00Z");

    private MetricWriter Writer => fixture.Factory.Services.GetRequiredService<MetricWriter>();

    [Fact]
    public async Task A_group_of_new_points_goes_straight_in_by_copy_with_its_summaries()
    {
        var runs = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        var group = runs.SelectMany(run => Enumerable.Range(0, 100).Select(i => Metric.Create(run, "loss", i, i, At.AddSeconds(i), null))).ToList();
        var before = Writer.Paths;

        var fresh = await Writer.WriteMetricsAsync(group, [], CancellationToken.None);

        fresh.Should().Equal(group);
        (Writer.Paths.Copies - before.Copies).Should().Be(1);
        (Writer.Paths.CopyConflicts - before.CopyConflicts).Should().Be(0);
        var stats = await fixture.Client.GetJsonAsync($"/api/v1/runs/{runs[7]}/metrics/loss/stats");
        stats["count"]!.GetValue<long>().Should().Be(100);
        stats["avg_value"]!.GetValue<double>().Should().Be(49.5);
    }

    [Fact]
    public async Task One_stored_point_in_a_group_of_20_requests_redoes_it_by_insert_and_each_request_learns_exactly_its_new_points()
    {
        var runs = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        var requests = runs.Select(run => Enumerable.Range(0, 100).Select(i => Metric.Create(run, "loss", i, i, At.AddSeconds(i), null)).ToList()).ToList();
        // Stored behind this instance's back, so it cannot predict the conflict: the COPY meets it.
        await fixture.Db.InsertBehindTheApiAsync(runs[7], "loss", 42, -1, At.AddSeconds(42));
        var before = Writer.Paths;

        var fresh = await Writer.WriteMetricsAsync(requests.SelectMany(r => r).ToList(), [], CancellationToken.None);

        (Writer.Paths.CopyConflicts - before.CopyConflicts).Should().Be(1, "the COPY met the stored point and the group was redone by insert");
        fresh.Should().HaveCount(1999).And.NotContain(requests[7][42]);
        foreach (var run in runs)
        {
            (await fixture.Db.CountMetricsAsync(run)).Should().Be(100);
            (await fixture.Client.GetJsonAsync($"/api/v1/runs/{run}/metrics/loss/stats"))["count"]!.GetValue<long>()
                .Should().Be(run == runs[7] ? 99 : 100, "the summary counts what the service inserted (the point behind its back is not told)");
        }
    }

    [Fact]
    public async Task Twenty_concurrent_batches_with_one_stored_point_each_get_their_own_exact_counts()
    {
        var runs = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        await fixture.Db.InsertBehindTheApiAsync(runs[3], "loss", 42, -1, At);

        var answers = await Task.WhenAll(runs.Select(run =>
            fixture.Client.PostBatchAsync(Enumerable.Range(0, 100).Select(i => Point(run, "loss", i, (double)i, "2024-05-01T12:00:00Z")).ToArray())));

        answers.Select(a => (a["inserted"]!.GetValue<int>(), a["duplicates"]!.GetValue<int>()))
            .Should().Equal(runs.Select((_, k) => k == 3 ? (99, 1) : (100, 0)));
        var retry = await Task.WhenAll(runs.Select((run, k) =>
            fixture.Client.PostBatchAsync(Enumerable.Range(0, 100 + k).Select(i => Point(run, "loss", i, (double)i, "2024-05-01T12:00:00Z")).ToArray())));
        retry.Select(a => (a["inserted"]!.GetValue<int>(), a["duplicates"]!.GetValue<int>()))
            .Should().Equal(runs.Select((_, k) => (k, 100)), "each request is told exactly which of its points were new");
        foreach (var (run, k) in runs.Select((run, k) => (run, k)))
        {
            (await fixture.Db.CountMetricsAsync(run)).Should().Be(100 + k);
            (await fixture.Db.ReadSeriesAsync(run, "loss")).Single(p => p.Step == 42).Value.Should().Be(k == 3 ? -1 : 42, "the first stored value stays");
        }
    }

    [Fact]
    public void The_series_ids_held_in_memory_are_bounded_whatever_one_key_writes()
    {
        var catalog = new SeriesCatalog();
        var name = "loss";
        for (var i = 0; i < SeriesCatalog.MaxSeries + 10; i++)
        {
            catalog.Learn([new((Guid.NewGuid(), name), i)]);
            catalog.Stored(i, i, null);
        }

        catalog.Count.Should().BeLessThanOrEqualTo(SeriesCatalog.MaxSeries + 1);
        catalog.MayBeStored(5, 5, DateTime.UtcNow).Should().BeFalse("the marks are dropped with the ids");
    }

    [Fact]
    public async Task Two_instances_creating_the_same_new_series_at_once_agree_on_one_id_and_keep_every_point()
    {
        await using var second = new ApiFactory();
        var other = second.CreateClient();
        var run = Guid.NewGuid();
        var names = Enumerable.Range(0, 30).Select(i => $"m{i}").ToArray();

        // Both instances create the run's 30 series at once, each with its own steps.
        var writes = new[] { fixture.Client, other }.SelectMany((client, c) => Enumerable.Range(0, 4).Select(b =>
            client.PostAsync("/api/v1/metrics/batch", Batch(names.Select(n => Point(run, n, (c * 4) + b, 1.0)).ToArray()))));
        (await Task.WhenAll(writes)).Should().OnlyContain(r => r.StatusCode == HttpStatusCode.Created);

        (await fixture.Db.ColumnAsync("SELECT count(*) FROM series WHERE run_id = @run", run)).Should().Equal("30");
        (await fixture.Db.CountMetricsAsync(run)).Should().Be(30 * 8);
        foreach (var name in names)
        {
            (await other.GetJsonAsync($"/api/v1/runs/{run}/metrics/{name}/stats"))["count"]!.GetValue<long>().Should().Be(8);
        }
    }
}
