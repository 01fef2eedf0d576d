using Microsoft.Playwright;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>
/// Headless Debian Chromium driven by Playwright (its own browser download is not possible here).
/// Records every request a page makes, so a test can prove the page talks to its own server only, and every content
/// security policy violation Chromium reports (on the console), so a test can prove the pages live within their policy.
/// </summary>
public sealed class Browser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser) => (_playwright, _browser) = (playwright, browser);

    public List<string> RequestedUrls { get; } = [];

    public List<string> PolicyViolations { get; } = [];

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
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase)) lock (PolicyViolations) PolicyViolations.Add(message.Text);
        };
        return page;
    }

    /// <summary>Asserts that every page of this browser spoke to <paramref name="server"/> only (and made requests at all).</summary>
    public void ShouldHaveTalkedOnlyTo(Uri server)
    {
        lock (RequestedUrls)
        {
            RequestedUrls.Should().NotBeEmpty().And.OnlyContain(u => u.StartsWith(server.ToString(), StringComparison.Ordinal));
        }
    }

    /// <summary>Asserts that no page of this browser did anything its content security policy refused (inline code, another host).</summary>
    public void ShouldHaveKeptToThePolicy()
    {
        lock (PolicyViolations) PolicyViolations.Should().BeEmpty();
    }

    /// <summary>An init script that moves the page's local clock (<c>Date.now()</c>, <c>new Date()</c>) by <paramref name="minutes"/>.</summary>
    public static string SkewedClock(int minutes) => $$"""
        (() => {
          const skew = {{minutes * 60_000}};
          const RealDate = Date;
          class SkewedDate extends RealDate {
            constructor(...args) { if (args.length === 0) super(RealDate.now() + skew); else super(...args); }
            static now() { return RealDate.now() + skew; }
          }
          globalThis.Date = SkewedDate;
        })();
        """;

    /// <summary>Signs in on the sale page with the dev sign-in.</summary>
    public static async Task SignInAsync(IPage page, string userId)
    {
        await page.FillAsync("#user-id", userId);
        await page.ClickAsync("#signin-form button");
        await page.WaitForSelectorAsync("#signed-in:not([hidden])");
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
