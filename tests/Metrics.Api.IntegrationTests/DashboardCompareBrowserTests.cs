using System.Text.Json;
using Microsoft.Playwright;
using static Metrics.Api.IntegrationTests.Support.Http;
using static Microsoft.Playwright.Assertions;

namespace Metrics.Api.IntegrationTests;

/// <summary>The dashboard's comparison view: the run table, overlaid runs, smoothing, log scale and zoom.</summary>
[Collection(ApiCollection.Name)]
public sealed class DashboardCompareBrowserTests(BrowserFixture browser) : DashboardPage(browser, 20_000), IClassFixture<BrowserFixture>
{
    // Ahead of the suite's other runs, so these are near the top of the run table.
    private static string At(double second) => new DateTimeOffset(2097, 6, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(second).ToString("O");

    private async Task DescribeAsync(Guid run, object description) =>
        (await Client.PutAsync($"/api/v1/runs/{run}", Json(description))).EnsureSuccessStatusCode();

    private Task<int> TracePointsAsync(string metric, Guid run) =>
        Chart(metric).EvaluateAsync<int>("(e, run) => e.chart.traces.get(run).data.steps.length", run.ToString());

    [Fact]
    public async Task Described_runs_are_found_by_name_and_tag_and_three_overlay_with_live_points_reaching_only_their_run()
    {
        var group = $"cmp{Guid.NewGuid():N}"[..11];
        (Guid Run, string Name, double Lr)[] runs = [(Guid.NewGuid(), $"{group} alpha", 0.1), (Guid.NewGuid(), $"{group} beta", 0.01), (Guid.NewGuid(), $"{group} gamma <img src=x onerror=alert(1)>", 0.001)];
        foreach (var (run, name, lr) in runs)
        {
            await DescribeAsync(run, new { name, tags = new[] { group, lr >= 0.01 ? "high" : "low" }, config = new { lr, batch_size = 32 } });
            var offset = Array.FindIndex(runs, r => r.Run == run) * 100; // later runs are more recent
            await Client.PostBatchAsync(Enumerable.Range(0, 50)
                .SelectMany(i => new[] { Point(run, "loss", i, lr * 100 / (i + 1), At(offset + i)), Point(run, "acc", i, i / 50.0, At(offset + i)) })
                .ToArray());
        }

        await Page.GotoAsync(Client.BaseAddress!.ToString());
        await Page.Locator("#run-tag").FillAsync(group);
        var rows = Page.Locator("#runs tr[data-run-id]");
        await Expect(rows).ToHaveCountAsync(3);
        await Expect(rows.Locator(".name a")).ToHaveTextAsync([runs[2].Name, runs[1].Name, runs[0].Name]);
        await Expect(Page.Locator("#runs img")).ToHaveCountAsync(0, new() { Timeout = 1000 }); // a name is text, never markup
        await Expect(rows.First.Locator(".tags")).ToContainTextAsync(group);

        // A config column, picked from the run's config keys.
        await Page.Locator("#columns summary").ClickAsync();
        await Page.Locator("#column-list input[data-key=\"lr\"]").CheckAsync();
        await Expect(Page.Locator("#runs-head th.config")).ToHaveTextAsync(["lr"]);
        await Expect(rows.Locator("td.config[data-key=\"lr\"]")).ToHaveTextAsync(["0.001", "0.01", "0.1"]);

        // Search by name, and a second tag, narrow the table.
        await Page.Locator("#run-search").FillAsync($"{group} BETA");
        await Expect(rows).ToHaveCountAsync(1);
        await Page.Locator("#run-search").FillAsync(string.Empty);
        await Page.Locator("#run-tag").FillAsync($"{group} high");
        await Expect(rows).ToHaveCountAsync(2);
        await Page.Locator("#run-tag").FillAsync(group);
        await Expect(rows).ToHaveCountAsync(3);

        foreach (var (run, _, _) in runs)
        {
            await Page.Locator($"#runs tr[data-run-id=\"{run}\"] .pick").CheckAsync();
        }

        await Expect(Page.Locator("#conn-state")).ToHaveTextAsync("connected");
        foreach (var metric in new[] { "loss", "acc" })
        {
            await Expect(Chart(metric)).ToHaveAttributeAsync("data-runs", "3");
            await Expect(Chart(metric)).ToHaveAttributeAsync("data-points", "150");
            await Expect(Chart(metric).Locator(".legend .run-name")).ToHaveTextAsync(runs.Select(r => r.Name).ToArray());
        }

        (await Chart("loss").EvaluateAsync<int>("e => e.chart.plot.series.length")).Should().Be(1 + (3 * 5), "x, then five series per run");
        Page.Url.Should().EndWith($"#runs={string.Join(',', runs.Select(r => r.Run))}", "the comparison can be shared");

        // A live point of one run reaches that run's series only.
        var (beta, _, _) = runs[1];
        await Client.PostBatchAsync(Point(beta, "loss", 50, 0.05, At(150)));
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "151");
        (await TracePointsAsync("loss", beta)).Should().Be(51);
        (await TracePointsAsync("loss", runs[0].Run)).Should().Be(50);
        (await TracePointsAsync("loss", runs[2].Run)).Should().Be(50);
        (await TracePointsAsync("acc", beta)).Should().Be(50);
        await ScreenshotAsync("dashboard-compare");

        // The shared address opens the same comparison.
        var shared = Page.Url;
        await Page.GotoAsync("about:blank");
        await Page.GotoAsync(shared);
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-runs", "3");
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "151");
        await Expect(Chart("loss").Locator(".legend .run-name")).ToHaveTextAsync(runs.Select(r => r.Name).ToArray());
    }

    [Fact]
    public async Task Smoothing_draws_the_ema_of_the_raw_values_and_log_scale_survives_values_at_or_below_zero()
    {
        var run = Guid.NewGuid();
        // Steps 0-19 and 40-59: a gap, which the time-weighted EMA spans with less weight.
        var steps = Enumerable.Range(0, 20).Concat(Enumerable.Range(40, 20)).ToArray();
        var values = steps.Select(s => s == 5 ? -1.0 : s == 6 ? 0.0 : 1 + Math.Sin(s) + (s / 10.0)).ToArray();
        await Client.PostBatchAsync(steps.Select((s, i) => Point(run, "loss", s, values[i], At(s))).Append(Point(run, "neg", 1, -2.0, At(1))).Append(Point(run, "neg", 2, 0.0, At(2))).ToArray());
        await Page.GotoAsync($"{Client.BaseAddress}#run={run}");
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", "40");

        await SetSmoothingAsync("ema", 0.8);
        Drawn(await PlotColumnAsync(2)).Should().Equal(values.Select(v => (double?)v), "the raw line stays beneath");
        Drawn(await PlotColumnAsync(1)).Should().Equal(Ema(steps, values, 0.8, timeWeighted: false), Close);

        await SetSmoothingAsync("twema", 0.8);
        var timeWeighted = Ema(steps, values, 0.8, timeWeighted: true);
        Drawn(await PlotColumnAsync(1)).Should().Equal(timeWeighted, Close);
        timeWeighted.Should().NotEqual(Ema(steps, values, 0.8, timeWeighted: false), "the gap changes the weights");

        await SetSmoothingAsync("none", 0.8);
        await Chart("loss").Locator(".controls .log").CheckAsync();
        // The y axis turns logarithmic on the next redraw.
        await Page.WaitForFunctionAsync("() => document.querySelector('.chart[data-metric=\"loss\"]').chart.plot.scales.y.distr === 3");
        Drawn(await PlotColumnAsync(1)).Should().Equal(values.Select(v => v > 0 ? v : (double?)null), "zero and below leave gaps on a log axis");

        // Nothing above zero at all: the chart stays linear and says why.
        await Chart("neg").Locator(".controls .log").CheckAsync();
        await Expect(Chart("neg").Locator(".sub")).ToContainTextAsync("log scale needs values above 0");
        (await Chart("neg").EvaluateAsync<int>("e => e.chart.plot.scales.y.distr")).Should().Be(1);
        await ScreenshotAsync("dashboard-smoothing-log");
    }

    [Fact]
    public async Task Zooming_a_100000_point_series_fetches_raw_points_and_a_spike_inside_one_bucket_shows_at_every_level()
    {
        var run = Guid.NewGuid();
        const int spikeStep = 54_321;
        for (var start = 0; start < 100_000; start += 1000)
        {
            await Client.PostBatchAsync(Enumerable.Range(start, 1000)
                .Select(s => Point(run, "loss", s, s == spikeStep ? 1000.0 : 1 + (0.1 * Math.Sin(s / 500.0)), At(s / 100.0)))
                .ToArray());
        }

        await Page.GotoAsync($"{Client.BaseAddress}#run={run}");
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-last-step", "99999");
        var overview = await StepsAsync();
        overview.Count.Should().BeLessThanOrEqualTo(602, "the overview is downsampled");
        (await VisibleMaxAsync()).Should().Be(1000, "the spike shows through the bucket's max");

        await DragAsync(50_000, 60_000);
        var zoomed = await WaitForZoomAsync(s => s[0] >= 49_000 && s[^1] <= 61_000);
        (await VisibleMaxAsync()).Should().Be(1000);
        zoomed.Count.Should().BeGreaterThan(500);

        await DragAsync(54_200, 54_500);
        var raw = await WaitForZoomAsync(s => s[^1] - s[0] < 600);
        raw.Should().Equal(Enumerable.Range((int)raw[0], raw.Count).Select(s => (long)s), "at the deepest zoom every raw point shows");
        raw.Should().Contain(spikeStep).And.Contain(s => !overview.Contains(s));
        (await VisibleMaxAsync()).Should().Be(1000);
        (await Chart("loss").EvaluateAsync<double>($"e => {{ const d = [...e.chart.traces.values()][0].data; return d.avg[d.steps.indexOf({spikeStep})]; }}"))
            .Should().Be(1000, "the spike is a raw point here");
        await ScreenshotAsync("dashboard-zoomed");

        await Chart("loss").Locator(".u-over").DblClickAsync();
        await Expect(Chart("loss")).Not.ToHaveAttributeAsync("data-zoomed", "true");
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-points", overview.Count.ToString());
    }

    private async Task SetSmoothingAsync(string kind, double weight)
    {
        await Chart("loss").Locator(".controls .smoothing").SelectOptionAsync(kind);
        await Chart("loss").Locator(".controls .weight").EvaluateAsync(
            "(input, w) => { input.value = String(w); input.dispatchEvent(new Event('input', { bubbles: true })); }", weight);
        await Page.WaitForTimeoutAsync(300); // the next redraw tick
    }

    private async Task<JsonElement> PlotColumnAsync(int index) =>
        await Chart("loss").EvaluateAsync<JsonElement>($"e => e.chart.plot.data[{index}].map(v => v ?? null)");

    private static List<double?> Drawn(JsonElement column) =>
        column.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()).ToList();

    private static bool Close(double? actual, double? expected) =>
        actual is null ? expected is null : expected is not null && Math.Abs(actual.Value - expected.Value) < 1e-9;

    /// <summary>The dashboard's EMA, written out: s0 = v0, s = w·s + (1 − w)·v; time-weighted, w^(Δstep / mean Δstep).</summary>
    private static List<double?> Ema(int[] steps, double[] values, double weight, bool timeWeighted)
    {
        var meanGap = (steps[^1] - steps[0]) / (double)(steps.Length - 1);
        var smoothed = new List<double?>();
        double? last = null;
        for (var i = 0; i < values.Length; i++)
        {
            var w = timeWeighted && i > 0 ? Math.Pow(weight, (steps[i] - steps[i - 1]) / meanGap) : weight;
            last = last is null ? values[i] : (w * last) + ((1 - w) * values[i]);
            smoothed.Add(last);
        }

        return smoothed;
    }

    private async Task<List<long>> StepsAsync() =>
        (await Chart("loss").EvaluateAsync<long[]>("e => [...e.chart.traces.values()][0].data.steps")).ToList();

    /// <summary>The highest value drawn inside the x range shown: the band's max (or the line where there is no band).</summary>
    private Task<double> VisibleMaxAsync() => Chart("loss").EvaluateAsync<double>("""
        e => {
          const u = e.chart.plot, [x, line, , , max] = u.data, lo = u.scales.x.min, hi = u.scales.x.max;
          let top = -Infinity;
          for (let i = 0; i < x.length; i++) if (x[i] >= lo && x[i] <= hi) top = Math.max(top, max[i] ?? -Infinity, line[i] ?? -Infinity);
          return top;
        }
        """);

    /// <summary>Drags across the plot from one step to another, as a user selects a range.</summary>
    private async Task DragAsync(double fromStep, double toStep)
    {
        var over = Chart("loss").Locator(".u-over");
        var box = (await over.BoundingBoxAsync())!;
        var positions = await Chart("loss").EvaluateAsync<double[]>("(e, r) => r.map(s => e.chart.plot.valToPos(s, 'x'))", new[] { fromStep, toStep });
        var (from, to) = (positions[0], positions[1]);
        var y = box.Y + (box.Height / 2);
        await Page.Mouse.MoveAsync((float)(box.X + from), (float)y);
        await Page.Mouse.DownAsync();
        await Page.Mouse.MoveAsync((float)(box.X + ((from + to) / 2)), (float)y, new MouseMoveOptions { Steps = 5 });
        await Page.Mouse.MoveAsync((float)(box.X + to), (float)y, new MouseMoveOptions { Steps = 5 });
        await Page.Mouse.UpAsync();
        await Expect(Chart("loss")).ToHaveAttributeAsync("data-zoomed", "true");
    }

    private async Task<List<long>> WaitForZoomAsync(Func<List<long>, bool> loaded)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var steps = await StepsAsync();
            if (steps.Count > 0 && loaded(steps))
            {
                await Page.WaitForTimeoutAsync(250); // drawn on the next tick
                return steps;
            }

            DateTime.UtcNow.Should().BeBefore(deadline, $"the zoomed range loads (steps {steps.FirstOrDefault()}..{steps.LastOrDefault()})");
            await Page.WaitForTimeoutAsync(100);
        }
    }
}
