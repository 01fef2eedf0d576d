using System.Text.Json.Nodes;
using FlashSale.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace FlashSale.Server.Tests;

/// <summary>The sale page and the admin view in a real browser (headless Chromium), against an embedded server.</summary>
[Collection(ServerCollection.Name)]
public sealed class SalePageTests : BrowserTest
{
    [Theory]
    [InlineData(-7)]
    [InlineData(+11)]
    public async Task The_countdown_follows_theServer_clock_when_the_local_clock_is_minutes_off(int skewMinutes)
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1, startsIn: TimeSpan.FromMinutes(3));
        var startsAt = DateTimeOffset.Parse((await Client.GetAsync($"api/sales/{saleId}")).Body!["startsAt"]!.GetValue<string>()).ToUnixTimeMilliseconds();
        var page = await Chromium.NewPageAsync(initScript: Browser.SkewedClock(skewMinutes));

        await page.GotoAsync(Url($"sales/{saleId}"));
        await page.WaitForFunctionAsync("() => document.querySelector('#countdown').dataset.remainingMs !== undefined");
        var shownMs = long.Parse((await page.GetAttributeAsync("#countdown", "data-remaining-ms"))!);
        var trueMs = startsAt - await ServerNowMsAsync();

        Math.Abs(shownMs - trueMs).Should().BeLessThan(1_500, $"the page measured the offset to the server ({skewMinutes} min local skew)");
        (await page.TextContentAsync("#countdown")).Should().MatchRegex(@"Starts in 0[23]:\d\d");
        (await page.IsDisabledAsync("#buy")).Should().BeTrue();
    }

    [Fact]
    public async Task The_button_wakes_at_the_start_rests_after_a_click_and_a_purchase_ends_in_got_it()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 2, startsIn: TimeSpan.FromSeconds(15));
        var startsAt = DateTimeOffset.Parse((await Client.GetAsync($"api/sales/{saleId}")).Body!["startsAt"]!.GetValue<string>()).ToUnixTimeMilliseconds();
        var page = await Chromium.NewPageAsync();
        await page.GotoAsync(Url($"sales/{saleId}"));
        await Browser.SignInAsync(page, "page-alice");

        (await page.IsDisabledAsync("#buy")).Should().BeTrue("before the start");
        await Browser.ScreenshotAsync(page, "sale-before-start");
        await page.WaitForSelectorAsync("#buy:not([disabled])", new PageWaitForSelectorOptions { Timeout = 20_000 });
        (await ServerNowMsAsync()).Should().BeGreaterThanOrEqualTo(startsAt - 300, "not enabled before the start (by the server's clock)");
        await Browser.ScreenshotAsync(page, "sale-during");

        var clicked = System.Diagnostics.Stopwatch.StartNew();
        await page.ClickAsync("#buy");
        (await page.IsDisabledAsync("#buy")).Should().BeTrue("greyed right after the click");
        await Task.Delay(TimeSpan.FromSeconds(3) - clicked.Elapsed);
        (await page.IsDisabledAsync("#buy")).Should().BeTrue("still resting three seconds later: the cooldown is five seconds");
        await page.WaitForSelectorAsync("#outcome[data-outcome=won]", new PageWaitForSelectorOptions { Timeout = 20_000 });
        (await page.TextContentAsync("#outcome")).Should().StartWith("You got it!");
        await page.WaitForSelectorAsync("#buy:not([disabled])", new PageWaitForSelectorOptions { Timeout = 8_000 });
        clicked.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(4.9), "awake again only after the cooldown");
        await Browser.ScreenshotAsync(page, "sale-outcome");

        var orderId = await page.GetAttributeAsync("#outcome", "data-order-id");
        var orders = await Database.OrdersAsync(long.Parse(saleId));
        orders.Should().ContainSingle().Which.Should().Match<(long OrderId, string UserId, int Quantity, string Status, string RequestId)>(
            o => o.OrderId.ToString() == orderId && o.UserId == "page-alice" && o.Status == "pending_payment");
    }

    [Fact]
    public async Task A_token_protected_sale_asks_the_captcha_and_its_answer_unlocks_the_button()
    {
        // The page learns that a token is required from GET /api/sales/{id}, which shows a buyer that much of the sale's
        // gateway rules and no more.
        var saleId = await Client.CreateSaleAsync(stock: 2, perUserLimit: 1, gatewayRules: new { requireToken = true, userRequestsPerWindow = 50 });
        var page = await Chromium.NewPageAsync();
        await page.GotoAsync(Url($"sales/{saleId}"));
        await Browser.SignInAsync(page, "captcha-carol");

        await page.WaitForSelectorAsync("#captcha:not([hidden])", new PageWaitForSelectorOptions { Timeout = 10_000 });
        (await page.IsDisabledAsync("#buy")).Should().BeTrue("no purchase token yet");
        await page.FillAsync("#answer", Captcha.Solve((await page.TextContentAsync("#question"))!));
        await page.ClickAsync("#captcha-form button");
        await page.WaitForSelectorAsync("#buy:not([disabled])", new PageWaitForSelectorOptions { Timeout = 10_000 });
        await page.ClickAsync("#buy");
        await page.WaitForSelectorAsync("#outcome[data-outcome=won]", new PageWaitForSelectorOptions { Timeout = 20_000 });
    }

    [Fact]
    public async Task A_purchase_the_risk_score_challenges_shows_the_question_and_the_answer_finishes_it_with_the_same_requestId()
    {
        // No token required up front, but every purchase reaches the sale's risk bar: the server asks for a captcha.
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1, gatewayRules: new { riskChallengeScore = 0 });
        var page = await Chromium.NewPageAsync();
        var purchases = new List<JsonObject>();
        var devices = new List<string?>();
        page.Request += (_, request) =>
        {
            if (!request.Url.EndsWith("/purchase", StringComparison.Ordinal)) return;
            lock (purchases)
            {
                purchases.Add(JsonNode.Parse(request.PostData!)!.AsObject());
                devices.Add(request.Headers.TryGetValue("x-device-id", out var device) ? device : null);
            }
        };
        await page.GotoAsync(Url($"sales/{saleId}"));
        await Browser.SignInAsync(page, "challenged-carol");
        await page.WaitForSelectorAsync("#buy:not([disabled])", new PageWaitForSelectorOptions { Timeout = 20_000 });
        (await page.IsHiddenAsync("#captcha")).Should().BeTrue("the sale asks for no token up front");

        await page.ClickAsync("#buy");
        await page.WaitForSelectorAsync("#captcha:not([hidden])", new PageWaitForSelectorOptions { Timeout = 20_000 });
        (await page.GetAttributeAsync("#outcome", "data-outcome")).Should().Be("challenge");
        (await page.IsDisabledAsync("#buy")).Should().BeTrue("the answer finishes this purchase");
        // A wrong answer spends the challenge: the page shows a new one.
        var first = await page.GetAttributeAsync("#captcha-form", "data-challenge-id");
        await page.FillAsync("#answer", "1");
        await page.ClickAsync("#captcha-form button");
        await page.WaitForFunctionAsync($"() => document.querySelector('#captcha-form').dataset.challengeId !== '{first}'");
        (await page.TextContentAsync("#captcha-state")).Should().Be("Not quite — here is another one.");
        await page.FillAsync("#answer", Captcha.Solve((await page.TextContentAsync("#question"))!));
        await page.ClickAsync("#captcha-form button");
        await page.WaitForSelectorAsync("#outcome[data-outcome=won]", new PageWaitForSelectorOptions { Timeout = 20_000 });

        (await page.IsHiddenAsync("#captcha")).Should().BeTrue();
        lock (purchases)
        {
            purchases.Should().HaveCount(2, "the challenged purchase, then the same one with the token");
            purchases[1]["requestId"]!.GetValue<string>().Should().Be(purchases[0]["requestId"]!.GetValue<string>());
            purchases[0]["token"].Should().BeNull();
            purchases[1]["token"]!.GetValue<string>().Should().NotBeNullOrEmpty();
            devices.Should().OnlyContain(d => d != null && d.StartsWith("web-") && d == devices[0], "the page sends its browser's device id (no missing-device risk)");
        }
        var order = (await Database.OrdersAsync(long.Parse(saleId))).Should().ContainSingle().Subject;
        (order.UserId, order.RequestId).Should().Be(("challenged-carol", purchases[0]["requestId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task When_the_stock_is_gone_the_second_user_sees_sold_out()
    {
        var saleId = await Client.CreateSaleAsync(stock: 1, perUserLimit: 1);
        var alice = await Chromium.NewPageAsync();
        var bob = await Chromium.NewPageAsync();
        await alice.GotoAsync(Url($"sales/{saleId}"));
        await bob.GotoAsync(Url($"sales/{saleId}"));
        await Browser.SignInAsync(alice, "first");
        await Browser.SignInAsync(bob, "second");

        await alice.ClickAsync("#buy");
        await alice.WaitForSelectorAsync("#outcome[data-outcome=won]", new PageWaitForSelectorOptions { Timeout = 20_000 });
        await bob.WaitForSelectorAsync("#buy:not([disabled])");
        await bob.ClickAsync("#buy");
        await bob.WaitForSelectorAsync("#outcome[data-outcome=sold_out]", new PageWaitForSelectorOptions { Timeout = 20_000 });

        (await bob.TextContentAsync("#outcome")).Should().Be("Sold out");
        (await Database.OrdersAsync(long.Parse(saleId))).Should().ContainSingle().Which.UserId.Should().Be("first");
    }

    [Fact]
    public async Task The_admin_chart_moves_during_a_sale()
    {
        var saleId = await Client.CreateSaleAsync(stock: 300, perUserLimit: 1);
        var page = await Chromium.NewPageAsync(width: 1100, height: 900,
            initScript: $"sessionStorage.setItem('fs.adminKey', '{TestServices.AdminKey}');");
        await page.GotoAsync(Url($"admin?sale={saleId}"));
        await page.WaitForSelectorAsync("#live:not([hidden])");

        var tokens = await Crowd.SignInAsync(Client, 600, "admin-chart");
        var crowd = Crowd.RaceAsync([Client], saleId, tokens, 1_800, _ => 1, concurrency: 16, pace: TimeSpan.FromMilliseconds(10));
        await page.WaitForFunctionAsync("() => Number(document.querySelector('#chart').dataset.peakRequests) > 0", null,
            new PageWaitForFunctionOptions { Timeout = 30_000 });
        await crowd;
        await page.WaitForFunctionAsync("() => document.querySelector('#t-accepted').textContent.startsWith('300 /')", null,
            new PageWaitForFunctionOptions { Timeout = 30_000 });
        await Browser.ScreenshotAsync(page, "admin-live");

        (await page.TextContentAsync("#t-gate")).Should().Be("0");
        var gateRow = await page.TextContentAsync("#funnel .layer:last-child");
        gateRow.Should().Contain("sold_out");
        int.Parse((await page.GetAttributeAsync("#chart", "data-points"))!).Should().BeGreaterThan(1);
    }

    [Fact]
    public async Task Reconciliation_shows_in_the_admin_view_and_runs_from_its_button()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        var token = await Client.TokenAsync("alice");
        (await Client.PurchaseAsync(saleId, token, 1, "r-1")).Status.Should().Be(202);
        await Client.WaitForDrainAsync(saleId);
        var page = await Chromium.NewPageAsync(width: 1100, height: 900,
            initScript: $"sessionStorage.setItem('fs.adminKey', '{TestServices.AdminKey}');");
        await page.GotoAsync(Url($"admin?sale={saleId}"));
        await page.WaitForFunctionAsync("() => document.querySelector('#recon-status').textContent === 'not reconciled yet'");

        await page.ClickAsync("#reconcile");
        await page.WaitForSelectorAsync("#recon-status.recon-clean");
        (await page.TextContentAsync("#recon-status")).Should().Be("clean");
        (await page.QuerySelectorAllAsync("#recon-differences li")).Should().BeEmpty();
    }
}
