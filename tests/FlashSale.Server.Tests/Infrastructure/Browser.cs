using Microsoft.Playwright;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>
/// Headless Debian Chromium driven by Playwright (its own browser download is not possible here).
/// Records every request a page makes, so a test can prove the page talks to its own server only.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser) => (_playwright, _browser) = (playwright, browser);

    public List<string> RequestedUrls { get; } = [];

    public static async Task<Browser> LaunchAsync()
    {
        File.Exists(ChromiumPath).Should().BeTrue("Debian's chromium is installed by scripts/test.sh");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
        });
        return new Browser(playwright, browser);
    }

    /// <summary>A fresh window (its own sessionStorage: its own user), phone-sized unless told otherwise.</summary>
    public async Task<IPage> NewPageAsync(int width = 390, int height = 844, string? initScript = null)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        if (initScript is not null) await context.AddInitScriptAsync(initScript);
        var page = await context.NewPageAsync();
        page.Request += (_, request) => { lock (RequestedUrls) RequestedUrls.Add(request.Url); };
        return page;
    }

    /// <summary>Saves a screenshot in FLASHSALE_SCREENSHOTS (docs/screenshots when refreshing the docs), else in the test output.</summary>
    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var dir = Environment.GetEnvironmentVariable("FLASHSALE_SCREENSHOTS") is { Length: > 0 } d ? d : Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(dir);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
