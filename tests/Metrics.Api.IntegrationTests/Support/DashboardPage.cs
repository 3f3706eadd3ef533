using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>
/// A test class's page of the dashboard in headless Chromium (1400×1000), failing the test if the
/// page's script throws; its screenshots go with the test results.
/// </summary>
public abstract class DashboardPage(BrowserFixture browser, int timeoutMs = 15_000) : IAsyncLifetime
{
    private readonly List<string> _pageErrors = [];

    protected HttpClient Client { get; } = browser.Client;

    protected IPage Page { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Page = await browser.Browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        Page.PageError += (_, error) => _pageErrors.Add(error);
        Page.SetDefaultTimeout(timeoutMs);
        SetDefaultExpectTimeout(timeoutMs);
    }

    public async Task DisposeAsync()
    {
        await Page.CloseAsync();
        _pageErrors.Should().BeEmpty("the dashboard's script must not throw");
    }

    protected ILocator Chart(string metric) => Page.Locator($".chart[data-metric=\"{metric}\"]");

    protected Task ScreenshotAsync(string name) =>
        Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(BrowserFixture.ScreenshotFolder, $"{name}.png"), FullPage = true });
}
