using Microsoft.Playwright;

namespace Metrics.Api.IntegrationTests.Support;

/// <summary>
/// The API on a real Kestrel port and Debian's Chromium, headless, driven by Playwright (no
/// browser download: ./build/test installs the apt package).
/// </summary>
public class BrowserFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public BrowserFixture()
        : this(null)
    {
    }

    protected BrowserFixture(IReadOnlyDictionary<string, string>? settings) => Api = new(kestrel: true, settings: settings);

    public ApiFactory Api { get; }

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

/// <summary>The same, with API keys required (AUTH_MODE=keys).</summary>
public sealed class KeyedBrowserFixture() : BrowserFixture(new Dictionary<string, string> { ["AUTH_MODE"] = "keys" });
