using FlashSale.Server.Tests.Infrastructure;
using Microsoft.Playwright;

namespace FlashSale.Server.Tests;

/// <summary>
/// The order's life after the 202 on the sale page and in the admin view, in a real browser (headless Chromium)
/// against an embedded server: the amount and the time left to pay, paying, cancelling, expiry putting the item back
/// on sale, a change heard over the order's event stream, and the admin's counts and cancel form.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class OrderLifecyclePageTests : BrowserTest
{
    private static readonly PageWaitForSelectorOptions Soon = new() { Timeout = 20_000 };

    /// <summary>Opens the sale page as <paramref name="userId"/>.</summary>
    private async Task<IPage> SalePageAsync(string saleId, string userId, string? initScript = null)
    {
        var page = await Chromium.NewPageAsync(initScript: initScript);
        await page.GotoAsync(Url($"sales/{saleId}"));
        await Browser.SignInAsync(page, userId);
        return page;
    }

    /// <summary>Presses Buy as soon as it is awake and waits for the order to wait for payment; returns its id.</summary>
    private static async Task<string> BuyAsync(IPage page)
    {
        await page.WaitForSelectorAsync("#buy:not([disabled])", Soon);
        await page.ClickAsync("#buy");
        await page.WaitForSelectorAsync("#order[data-status=pending_payment]", Soon);
        return (await page.GetAttributeAsync("#outcome", "data-order-id"))!;
    }

    [Fact]
    public async Task A_buyer_sees_the_amount_and_the_time_left_to_pay_by_the_server_clock_pays_and_sees_paid()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1); // 900 s to pay
        // The local clock is seven minutes fast: the countdown must not believe it.
        var page = await SalePageAsync(saleId, "pay-alice", Browser.SkewedClock(+7));
        var orderId = await BuyAsync(page);

        (await page.TextContentAsync("#order-amount")).Should().Be("¥1,999.00", "price × quantity, in yuan");
        (await page.TextContentAsync("#outcome")).Should().Be($"You got it! Order {orderId}");
        var token = await Client.TokenAsync("pay-alice");
        var deadline = DateTimeOffset.Parse((await Client.GetAsync($"api/orders/{orderId}", token)).Body!["paymentDeadline"]!.GetValue<string>()).ToUnixTimeMilliseconds();
        var shownMs = long.Parse((await page.GetAttributeAsync("#pay-deadline", "data-remaining-ms"))!);
        Math.Abs(shownMs - (deadline - await ServerNowMsAsync())).Should().BeLessThan(1_500, "the time left to pay is counted on the server's clock");
        (await page.TextContentAsync("#pay-countdown")).Should().MatchRegex(@"^1[45]:\d\d$");
        await page.WaitForFunctionAsync($"() => Number(document.querySelector('#pay-deadline').dataset.remainingMs) < {shownMs - 1_000}");

        // Hold the payment call a moment, so the button can be seen resting while it is in flight.
        await page.RouteAsync("**/api/orders/*/pay", async route =>
        {
            await Task.Delay(800);
            await route.ContinueAsync();
        });
        await page.ClickAsync("#pay");
        (await page.IsDisabledAsync("#pay")).Should().BeTrue("a payment in flight cannot be sent twice");
        await page.WaitForSelectorAsync("#order[data-status=paid]", Soon);

        (await page.TextContentAsync("#order-status")).Should().StartWith("Paid at ");
        (await page.TextContentAsync("#outcome")).Should().Be($"Paid — order {orderId}");
        (await page.IsHiddenAsync("#pay-deadline")).Should().BeTrue("nothing is left to pay");
        (await page.IsHiddenAsync("#order-actions")).Should().BeTrue();
        var order = (await Client.GetAsync($"api/orders/{orderId}", token)).Body!;
        order["status"]!.GetValue<string>().Should().Be("paid");
        order["paidAt"].Should().NotBeNull();
        await Browser.ScreenshotAsync(page, "sale-paid");
    }

    [Fact]
    public async Task Cancel_order_asks_for_a_second_press_then_cancels_and_the_buyer_may_buy_again()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        var page = await SalePageAsync(saleId, "cancel-erin");
        var orderId = await BuyAsync(page);

        await page.ClickAsync("#cancel-order");
        (await page.TextContentAsync("#cancel-order")).Should().Be("Press again to cancel");
        (await page.GetAttributeAsync("#order", "data-status")).Should().Be("pending_payment", "one press cancels nothing");
        await page.ClickAsync("#cancel-order");
        await page.WaitForSelectorAsync("#order[data-status=cancelled]", Soon);

        (await page.TextContentAsync("#outcome")).Should().Be("You cancelled this order");
        (await page.TextContentAsync("#order-status")).Should().Be("Cancelled by you");
        var order = (await Client.GetAsync($"api/orders/{orderId}", await Client.TokenAsync("cancel-erin"))).Body!;
        (order["status"]!.GetValue<string>(), order["cancelReason"]!.GetValue<string>()).Should().Be(("cancelled", "user"));
        await page.WaitForSelectorAsync("#buy:not([disabled])", Soon);
        (await page.TextContentAsync("#buy")).Should().Be("Buy again", "the quota is back");
    }

    [Fact]
    public async Task An_unpaid_order_expires_the_buyer_is_told_and_the_item_is_back_on_sale_for_someone_else()
    {
        var saleId = await Client.CreateSaleAsync(stock: 1, perUserLimit: 1, paymentTimeoutSeconds: 10);
        var bob = await SalePageAsync(saleId, "expire-bob");
        var carol = await SalePageAsync(saleId, "expire-carol");

        var orderId = await BuyAsync(bob);
        long.Parse((await bob.GetAttributeAsync("#pay-deadline", "data-remaining-ms"))!).Should().BeLessThanOrEqualTo(10_000);
        await carol.WaitForFunctionAsync("() => document.querySelector('#countdown').textContent === 'Sold out'", null, new() { Timeout = 10_000 });
        await carol.ClickAsync("#buy");
        await carol.WaitForSelectorAsync("#outcome[data-outcome=sold_out]", Soon);

        // Bob lets the deadline pass: the server cancels the order within seconds and the unit sells again.
        await bob.WaitForSelectorAsync("#outcome[data-outcome=expired]", new() { Timeout = 30_000 });
        (await bob.TextContentAsync("#outcome")).Should().Be("Expired — the item went back on sale");
        (await bob.TextContentAsync("#order-status")).Should().Be("Not paid in time: cancelled");
        (await bob.IsHiddenAsync("#order-actions")).Should().BeTrue("an expired order cannot be paid");
        await bob.WaitForFunctionAsync("() => document.querySelector('#remaining').textContent === '1'", null, new() { Timeout = 10_000 });
        (await bob.TextContentAsync("#countdown")).Should().Be("On sale now");
        await bob.WaitForSelectorAsync("#buy:not([disabled])", Soon);
        (await bob.TextContentAsync("#buy")).Should().Be("Buy again", "the sale is still on: the buyer may try again");
        await Browser.ScreenshotAsync(bob, "sale-expired");

        await carol.WaitForSelectorAsync("#outcome[data-outcome=back]", Soon);
        var carolsOrder = await BuyAsync(carol);

        var orders = await Database.OrdersAsync(long.Parse(saleId));
        orders.Select(o => (o.OrderId.ToString(), o.UserId, o.Status)).Should().BeEquivalentTo(
            new[] { (orderId, "expire-bob", "cancelled"), (carolsOrder, "expire-carol", "pending_payment") });
        var token = await Client.TokenAsync("expire-bob");
        (await Client.GetAsync($"api/orders/{orderId}", token)).Body!["cancelReason"]!.GetValue<string>().Should().Be("timeout");
    }

    [Fact]
    public async Task A_change_reaches_the_page_over_the_event_stream_without_a_single_poll()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        var page = await Chromium.NewPageAsync();
        var requests = new List<(string Method, string Path)>();
        page.Request += (_, request) => { lock (requests) requests.Add((request.Method, new Uri(request.Url).AbsolutePath)); };
        await page.GotoAsync(Url($"sales/{saleId}"));
        await Browser.SignInAsync(page, "stream-dave");
        var orderId = await BuyAsync(page);
        await page.WaitForSelectorAsync("#order[data-live=stream]", Soon);
        int Polls() { lock (requests) return requests.Count(r => r is ("GET", var path) && path == $"/api/orders/{orderId}"); }
        var pollsWhenOpen = Polls();

        // Paid from outside the page (another device of the same buyer): only the stream can tell the page.
        (await Client.OrderActionAsync(orderId, "pay", await Client.TokenAsync("stream-dave"))).Status.Should().Be(200);
        await page.WaitForSelectorAsync("#order[data-status=paid]", Soon);

        Polls().Should().Be(pollsWhenOpen, "the new state came over the event stream, not from a poll");
        pollsWhenOpen.Should().Be(0, "with the stream there, the page never polls the order");
        lock (requests) requests.Should().Contain(("GET", $"/api/orders/{orderId}/events"));
        (await page.TextContentAsync("#order-status")).Should().StartWith("Paid at ");
    }

    [Fact]
    public async Task The_admin_view_counts_orders_by_status_and_cancels_an_order_by_id()
    {
        var (saleId, _, orderIds) = await Client.DrainedSaleAsync(5, 1, ("admin-ann", 1), ("admin-ben", 1), ("admin-cat", 1));
        (await Client.OrderActionAsync(orderIds[0], "pay", await Client.TokenAsync("admin-ann"))).Status.Should().Be(200);
        var page = await Chromium.NewPageAsync(width: 1100, height: 900,
            initScript: $"sessionStorage.setItem('fs.adminKey', '{TestServices.AdminKey}');");
        await page.GotoAsync(Url($"admin?sale={saleId}"));
        await page.WaitForFunctionAsync("() => document.querySelector('#orders [data-key=\"status-pending_payment\"] b')?.textContent === '2'");

        await page.FillAsync("#cancel-id", orderIds[1]);
        await page.ClickAsync("#cancel-form button");
        await page.WaitForFunctionAsync("() => document.querySelector('#cancel-state').dataset.status === '200'");
        (await page.TextContentAsync("#cancel-state")).Should().Be($"Order {orderIds[1]} is cancelled (admin)");
        await page.WaitForFunctionAsync("() => document.querySelector('#orders [data-key=\"status-cancelled\"] b').textContent === '1'");

        var tiles = await page.EvalOnSelectorAllAsync<string[][]>("#orders > div", "ts => ts.map(t => [t.dataset.key, t.lastChild.textContent])");
        tiles.ToDictionary(t => t[0], t => t[1]).Should().Equal(new Dictionary<string, string>
        {
            ["status-queued"] = "0", ["status-pending_payment"] = "1", ["status-paid"] = "1", ["status-cancelled"] = "1", ["status-failed"] = "0",
            ["refund-refund_pending"] = "0", ["refund-refunded"] = "0", ["returned"] = "1",
        });
        await Browser.ScreenshotAsync(page, "admin-orders");
    }
}
