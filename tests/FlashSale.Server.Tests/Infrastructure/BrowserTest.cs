namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>
/// A test class driving the sale page and the admin view in headless Chromium against an embedded server of its own;
/// after each test, whatever it did, the pages must have spoken to that server only and kept to their content security policy.
/// </summary>
public abstract class BrowserTest : EmbeddedServerTest
{
    protected Browser Chromium { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Chromium = await Browser.LaunchAsync();
    }

    public override async Task DisposeAsync()
    {
        try
        {
            Chromium.ShouldHaveTalkedOnlyTo(Server.BaseAddress);
            Chromium.ShouldHaveKeptToThePolicy();
        }
        finally
        {
            // A failed check must not leave the browser and the server process running.
            await Chromium.DisposeAsync();
            await base.DisposeAsync();
        }
    }

    protected string Url(string path) => new Uri(Server.BaseAddress, path).ToString();

    protected async Task<long> ServerNowMsAsync() => (await Client.GetAsync("api/time")).Body!["epochMs"]!.GetValue<long>();
}
