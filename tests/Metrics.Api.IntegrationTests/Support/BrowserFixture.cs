using Microsoft.Playwright;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>
/// The API on a real Kestrel port and Debian's Chromium, headless, driven by Playwright (no
/// browser download: ./build/test installs the apt package).
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public ApiFactory Api { get; } = new(kestrel: true);

    public HttpClient Client { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    private IPlaywright? _playwright;

    /// <summary>Where screenshots go: the test results folder of ./build/test, else next to the tests.</summary>
    public static string ScreenshotFolder { get; } = Directory.CreateDirectory(Path.Combine(
        Environment.GetEnvironmentVariable("TEST_RESULTS_DIR") ?? AppContext.BaseDirectory, "screenshots")).FullName;

    public async Task InitializeAsync()
    {
        Client = Api.CreateClient();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            // Without these Chromium keeps dialling Google's hosts, which this network refuses.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        await Api.DisposeAsync();
    }
}
