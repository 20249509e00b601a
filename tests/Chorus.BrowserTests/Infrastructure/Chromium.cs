using Microsoft.Playwright;

namespace Chorus.BrowserTests.Infrastructure;

/// <summary>
/// Debian's Chromium (<c>/usr/bin/chromium</c>) driven by Playwright, one browser per test class (a class fixture);
/// each test takes fresh contexts from it. No browser is ever downloaded: a missing Chromium fails the test, naming the
/// Debian package to install.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private static readonly string[] s_args =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>Where the tests' screenshots go (under the test output directory; TestResults/ is not committed).</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("the browser did not start");

    public async ValueTask InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
            throw new InvalidOperationException($"the browser tests need Chromium at {ExecutablePath}: install Debian's package 'chromium' (apt-get install chromium)");
        Directory.CreateDirectory(ScreenshotDirectory);
        Console.WriteLine($"browser test screenshots: {ScreenshotDirectory}");
        TestContext.Current.SendDiagnosticMessage($"browser test screenshots: {ScreenshotDirectory}");
        // Generous deadlines for a loaded 2-core CI machine; every wait still has one.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        // Launch (not a persistent context) gives every run a fresh temporary user-data-dir.
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args = s_args,
            Timeout = 30_000,
        });
    }

    /// <summary>A fresh context (its own cookies and storage) with short default timeouts.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        context.SetDefaultTimeout(15_000);
        context.SetDefaultNavigationTimeout(15_000);
        return context;
    }

    /// <summary>Saves a full-page screenshot as a test artifact and returns its path (also written to the test output).</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        string path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.TestOutputHelper?.WriteLine($"screenshot: {path}");
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
    }
}
