using System.Diagnostics;
using static Metrics.Api.IntegrationTests.Support.Http;
using static Microsoft.Playwright.Assertions;

namespace Metrics.Api.IntegrationTests;

/// <summary>The dashboard at / in headless Chromium, against the real service, database and Redis.</summary>
[Collection(ApiCollection.Name)]
public sealed class DashboardBrowserTests(BrowserFixture browser) : DashboardPage(browser), IClassFixture<BrowserFixture>
{
    // A time ahead of the suite's other runs (except the run-list tests), so the run is listed.
    private static string At(int second) => new DateTimeOffset(2097, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(second).ToString("O");

    private async Task<Guid> SeedRunAsync(int points)
    {
        var run = Guid.NewGuid();
        await Client.PostBatchAsync(Enumerable.Range(0, points)
            .SelectMany(i => new[] { Point(run, "loss", i, 1.0 / (i + 1), At(i)), Point(run, "acc", i, i / 100.0, At(i)) })
            .ToArray());
        var system = await Client.PostAsync("/api/v1/metrics/system/batch", Json(new
        {
            metrics = Enumerable.Range(0, 10).SelectMany(i => new object[]
            {
                new { run_id = run, metric_type = "cpu", value = 50 + i, time = At(i * 10) },
                new { run_id = run, metric_type = "gpu_util", value = 90 - i, time = At(i * 10), metadata = new { gpu = 0 } },
                new { run_id = run, metric_type = "gpu_util", value = 80 - i, time = At(i * 10), metadata = new { gpu = 1 } },
            }).ToArray(),
        }));
        system.IsSuccessStatusCode.Should().BeTrue(await system.Content.ReadAsStringAsync());
        return run;
    }

    private async Task OpenFromRunListAsync(Guid run)
    {
        await Page.GotoAsync(Client.BaseAddress!.ToString());
        await Page.Locator($"#runs tr[data-run-id=\"{run}\"] .name a").ClickAsync();
        await Expect(Page.Locator("#conn-state")).ToHaveTextAsync("connected");
    }

    [Fact]
    public async Task A_run_picked_from_the_list_shows_a_chart_per_metric_and_its_system_metrics()
    {
        var run = await SeedRunAsync(40);

        await OpenFromRunListAsync(run);

        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "40");
        await Expect(Chart("acc")).ToHaveAttributeAsync("data-points", "40");
        await Expect(Chart("loss").Locator(".latest")).ToHaveTextAsync("0.025");
        await Expect(Page.Locator(".chart[data-metric]")).ToHaveCountAsync(2);
        await Expect(Chart("loss").Locator("canvas")).ToBeVisibleAsync();
        await Expect(Page.Locator("#system .chart[data-type=\"cpu\"]")).ToHaveAttributeAsync("data-points", "10");
        await Expect(Page.Locator("#system .chart[data-type=\"gpu_util\"] .u-legend")).ToContainTextAsync("gpu 1");
        Page.Url.Should().EndWith($"#run={run}", "the address can be bookmarked and shared");
        await ScreenshotAsync("dashboard-run");
    }

    [Fact]
    public async Task New_points_written_through_rest_appear_live_and_a_paused_connection_is_backfilled()
    {
        var run = await SeedRunAsync(40);
        await OpenFromRunListAsync(run);
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "40");

        await Client.PostBatchAsync(Point(run, "loss", 40, 0.123, At(40)));

        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "41");
        await Expect(Chart("loss").Locator(".latest")).ToHaveTextAsync("0.123");
        await Expect(Chart("acc")).ToHaveAttributeAsync("data-points", "40");

        // Stop the live connection, write while it is down, and start it again.
        await Page.Locator("#live-toggle").ClickAsync();
        await Expect(Page.Locator("#conn-state")).ToHaveTextAsync("paused");
        // Another live client of the run: once it has both batches, a connected page would have had them too.
        await using (var witness = await RawSocketProbe.ConnectAsync(Client, run.ToString()))
        {
            await Client.PostBatchAsync(Enumerable.Range(41, 5).Select(i => Point(run, "loss", i, i, At(i))).ToArray());
            await Client.PostBatchAsync(Point(run, "lr", 1, 0.001, At(41)));
            (await witness.NextAsync()).GetProperty("type").GetString().Should().Be("metric");
            (await witness.NextAsync()).GetProperty("type").GetString().Should().Be("metric");
        }

        (await Chart("loss").GetAttributeAsync("data-points")).Should().Be("41", "nothing arrives while the connection is stopped");
        await ScreenshotAsync("dashboard-paused");

        await Page.Locator("#live-toggle").ClickAsync();

        await Expect(Page.Locator("#conn-state")).ToHaveTextAsync("connected");
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "46");
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-last-step", "45");
        await Expect(Chart("lr")).ToHaveAttributeAsync("data-points", "1");

        // And live again after the restart, including a value JSON cannot write as a number.
        await Client.PostBatchAsync(Point(run, "loss", 46, "NaN", At(46)));
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "47");
        await Expect(Chart("loss").Locator(".latest")).ToHaveTextAsync("NaN");
        await ScreenshotAsync("dashboard-backfilled");
    }

    [Fact]
    public async Task A_live_message_for_points_the_loaded_history_already_holds_shows_nothing_twice()
    {
        // Points are published once stored, so a chart loading meanwhile reads them and then gets
        // their live message as well: replay that message, worded as the service words it.
        var run = await SeedRunAsync(40);
        await OpenFromRunListAsync(run);
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "40");
        var newest = await Client.GetStringAsync($"/api/v1/runs/{run}/metrics/loss?limit=5");

        await Page.EvaluateAsync("""
            body => {
              const chart = document.querySelector('.chart[data-metric="loss"]').chart;
              for (const metric of JSON.parse(body).metrics) chart.addLive(metric);
            }
            """, newest);
        // Then a new step, and an old step written again later (a new point): both are shown.
        await Client.PostBatchAsync(Point(run, "loss", 40, 0.5, At(40)), Point(run, "loss", 5, 0.75, At(50)));

        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "42");
        await Expect(Chart("loss").Locator(".sub")).ToHaveTextAsync("step 40 · 42 points stored, 42 shown");
    }

    [Fact]
    public async Task The_export_buttons_download_the_run_as_csv_and_parquet()
    {
        var run = await SeedRunAsync(40);
        await OpenFromRunListAsync(run);

        var csv = await Page.RunAndWaitForDownloadAsync(() => Page.Locator(".export button[data-format=\"csv\"]").ClickAsync());
        var parquet = await Page.RunAndWaitForDownloadAsync(() => Page.Locator(".export button[data-format=\"parquet\"]").ClickAsync());

        csv.SuggestedFilename.Should().Be($"run-{run}.csv");
        var lines = await File.ReadAllLinesAsync(await csv.PathAsync());
        lines.Should().HaveCount(81, "a header and 40 points of each of two metrics");
        lines[1].Should().StartWith($"{run},acc,0,");
        parquet.SuggestedFilename.Should().Be($"run-{run}.parquet");
        var bytes = await File.ReadAllBytesAsync(await parquet.PathAsync());
        System.Text.Encoding.ASCII.GetString(bytes, 0, 4).Should().Be("PAR1");
    }

    [Fact]
    public async Task A_burst_of_batches_redraws_a_chart_at_most_about_ten_times_a_second()
    {
        var run = await SeedRunAsync(10);
        await OpenFromRunListAsync(run);
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "10");
        var drawsBefore = int.Parse((await Chart("loss").GetAttributeAsync("data-draws"))!);

        var clock = Stopwatch.StartNew();
        for (var step = 10; step < 70; step++)
        {
            await Client.PostBatchAsync(Point(run, "loss", step, step * 0.01, At(step)));
        }

        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "70");
        var elapsed = clock.Elapsed;
        var draws = int.Parse((await Chart("loss").GetAttributeAsync("data-draws"))!) - drawsBefore;

        // 60 batches, each delivered on its own; one redraw per 100 ms tick at most.
        draws.Should().BeGreaterThan(0).And.BeLessThanOrEqualTo((int)(elapsed.TotalMilliseconds / 100) + 2, $"60 batches arrived in {elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task With_many_metrics_only_charts_near_the_viewport_load_and_the_rest_load_on_scrolling()
    {
        var run = Guid.NewGuid();
        await Client.PostBatchAsync(Enumerable.Range(0, 40)
            .SelectMany(m => Enumerable.Range(0, 5).Select(i => Point(run, $"m{m:00}", i, m + (i * 0.1), At(i))))
            .ToArray());
        await Page.GotoAsync($"{Client.BaseAddress}#run={run}");

        await Expect(Page.Locator(".chart[data-metric]")).ToHaveCountAsync(40);
        await Expect(Chart("m00")).ToHaveAttributeAsync("data-points", "5");
        (await Chart("m39").GetAttributeAsync("data-points")).Should().BeNull("a chart far below the fold has not loaded");

        await Chart("m39").ScrollIntoViewIfNeededAsync();

        await Expect(Chart("m39")).ToHaveAttributeAsync("data-points", "5");
        await Expect(Chart("m39").Locator(".latest")).ToHaveTextAsync("39.4");
    }

    [Fact]
    public async Task The_time_axis_and_an_unknown_or_malformed_run_id_are_handled()
    {
        var run = await SeedRunAsync(20);
        await OpenFromRunListAsync(run);
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "20");

        await Page.Locator("#x-axis").SelectOptionAsync("time");
        await Expect(Chart("loss").Locator(".controls .x")).ToHaveValueAsync("time");
        (await Chart("loss").EvaluateAsync<bool>("e => e.chart.plot.scales.x.time")).Should().BeTrue("the x axis shows wall time");
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "20");

        await Page.Locator("#run-input").FillAsync("not-a-run");
        await Page.Locator("#run-form button").ClickAsync();
        await Expect(Page.Locator("#message")).ToContainTextAsync("is not a run id");

        await Page.Locator("#run-input").FillAsync(Guid.NewGuid().ToString());
        await Page.Locator("#run-form button").ClickAsync();
        await Expect(Page.Locator("#message")).ToContainTextAsync("no metrics yet");
        await Expect(Page.Locator(".chart[data-metric]")).ToHaveCountAsync(0);
    }
}
