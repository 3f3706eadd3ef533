using Microsoft.Playwright;
using static Metrics.Api.IntegrationTests.Support.Http;
using static Microsoft.Playwright.Assertions;

namespace Metrics.Api.IntegrationTests;

/// <summary>The dashboard when keys are required: it asks for one, then works with it (REST and live).</summary>
[Collection(ApiCollection.Name)]
public sealed class DashboardAuthBrowserTests(KeyedBrowserFixture browser) : IClassFixture<KeyedBrowserFixture>
{
    [Fact]
    public async Task The_dashboard_asks_for_a_key_and_then_reads_and_follows_runs_with_it()
    {
        var reader = (await browser.Api.CreateKeyAsync(["metrics:read"])).Key;
        var writer = browser.Api.CreateClient((await browser.Api.CreateKeyAsync(["metrics:write"])).Key);
        var run = Guid.NewGuid();
        var at = new DateTimeOffset(2097, 6, 1, 0, 0, 0, TimeSpan.Zero);
        await writer.PostBatchAsync(Enumerable.Range(0, 10).Select(i => Point(run, "loss", i, 1.0 / (i + 1), at.AddSeconds(i).ToString("O"))).ToArray());
        var page = await browser.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        page.SetDefaultTimeout(15_000);
        SetDefaultExpectTimeout(15_000);

        await page.GotoAsync(browser.Client.BaseAddress!.ToString());
        await Expect(page.Locator("#key-form")).ToBeVisibleAsync();
        await Expect(page.Locator("#key-reason")).ToContainTextAsync("API key is required");
        await Expect(page.Locator("#key-help")).ToContainTextAsync("./build/run keys create --scopes metrics:read");
        await Expect(page.Locator("#conn-state")).Not.ToHaveTextAsync("connected");
        await page.Locator("#key-input").FillAsync(reader);
        await page.Locator("#key-form button").ClickAsync();

        await Expect(page.Locator("#key-form")).ToBeHiddenAsync();
        await page.Locator($"#runs tr[data-run-id=\"{run}\"] .name a").ClickAsync();
        await Expect(page.Locator("#conn-state")).ToHaveTextAsync("connected");
        var chart = page.Locator(".chart[data-metric=\"loss\"]");
        await Expect(chart).ToHaveAttributeAsync("data-points", "10");
        await writer.PostBatchAsync(Point(run, "loss", 10, 0.05, at.AddSeconds(10).ToString("O")));
        await Expect(chart).ToHaveAttributeAsync("data-last-step", "10");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotFolder, "dashboard-with-key.png") });
        await page.CloseAsync();
    }
}
