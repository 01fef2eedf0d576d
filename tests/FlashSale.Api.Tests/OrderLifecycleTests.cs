using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Core.Payments;

namespace FlashSale.Api.Tests;

/// <summary>An order's life after the 202 in embedded mode: pay, cancel, the payment timeout, and the provider's webhook.</summary>
public sealed class OrderLifecycleTests : ApiTest
{
    private static readonly WebhookSignature Signature = new(Encoding.UTF8.GetBytes(TestServices.WebhookSecret));

    [Fact]
    public async Task A_pending_order_is_paid_once_and_then_cannot_be_cancelled()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 2, paymentTimeoutSeconds: 600);
        var (token, orderId, pending) = await Client.PendingOrderAsync(saleId, "Zoë", "pay-1", quantity: 2);
        pending["amount"]!.GetValue<decimal>().Should().Be(3998.00m, "price × quantity");
        (pending["paymentDeadline"]!.GetValue<DateTimeOffset>() - pending["acceptedAt"]!.GetValue<DateTimeOffset>()).Should().Be(TimeSpan.FromSeconds(600));

        var paid = await Client.OrderActionAsync(orderId, "pay", token);
        paid.Status.Should().Be(200, paid.Body?.ToJsonString());
        paid.Body!["status"]!.GetValue<string>().Should().Be("paid");
        paid.Body["payment"]!["provider"]!.GetValue<string>().Should().Be("sandbox");
        paid.Body["paidAt"].Should().NotBeNull();

        (await Client.OrderActionAsync(orderId, "pay", token)).Body!["code"]!.GetValue<string>().Should().Be("already_paid");
        var cancel = await Client.OrderActionAsync(orderId, "cancel", token);
        (cancel.Status, cancel.Body!["code"]!.GetValue<string>()).Should().Be((409, "order_paid"));
        var stats = await Client.StatsAsync(saleId);
        (stats["ordersByStatus"]!["paid"]!.GetValue<long>(), stats["returned"]!.GetValue<long>(), stats["remainingInDb"]!.GetValue<long>()).Should().Be((1, 0, 3));
    }

    [Fact]
    public async Task A_cancelled_order_gives_its_units_back_to_the_database_and_the_gate_and_its_quota_to_the_user()
    {
        var saleId = await Client.CreateSaleAsync(stock: 1, perUserLimit: 1, paymentTimeoutSeconds: 600);
        var (token, orderId, _) = await Client.PendingOrderAsync(saleId, "Zoë", "cancel-1", quantity: 1);
        var other = await Client.TokenAsync("Ola");
        (await Client.PurchaseAsync(saleId, other, 1, "o-1")).Code.Should().Be("sold_out");
        (await Client.OrderActionAsync(orderId, "cancel", other)).Status.Should().Be(404, "someone else's order is answered like a missing one");

        var cancelled = await Client.OrderActionAsync(orderId, "cancel", token);
        cancelled.Status.Should().Be(200);
        (cancelled.Body!["status"]!.GetValue<string>(), cancelled.Body["cancelReason"]!.GetValue<string>()).Should().Be(("cancelled", "user"));
        (await Client.OrderActionAsync(orderId, "cancel", token)).Status.Should().Be(200, "cancelling twice answers the same");
        (await Client.OrderActionAsync(orderId, "pay", token)).Body!["code"]!.GetValue<string>().Should().Be("order_not_payable");

        var stats = await Client.StatsAsync(saleId);
        (stats["remainingInDb"]!.GetValue<long>(), stats["remainingInGate"]!.GetValue<long>(), stats["returned"]!.GetValue<long>()).Should().Be((1, 1, 1));
        (await Client.PurchaseAsync(saleId, other, 1, "o-2")).Status.Should().Be(202, "the unit sells again");
        (await Client.PurchaseAsync(saleId, token, 1, "cancel-2")).Code.Should().Be("sold_out", "the quota is back, the stock is not");
    }

    [Fact]
    public async Task An_unpaid_order_is_cancelled_after_its_deadline_and_its_unit_sells_again()
    {
        var saleId = await Client.CreateSaleAsync(stock: 1, perUserLimit: 1, paymentTimeoutSeconds: 10);
        var (token, orderId, pending) = await Client.PendingOrderAsync(saleId, "Zoë", "late-1", quantity: 1);
        var deadline = pending["paymentDeadline"]!.GetValue<DateTimeOffset>();

        var expired = await Client.WaitForOrderAsync(orderId, token, "cancelled", TimeSpan.FromSeconds(30));
        expired["cancelReason"]!.GetValue<string>().Should().Be("timeout");
        (expired["cancelledAt"]!.GetValue<DateTimeOffset>() - deadline).Should().BeLessThan(TimeSpan.FromSeconds(5)).And.BeGreaterThanOrEqualTo(TimeSpan.Zero);
        var other = await Client.TokenAsync("Ola");
        (await Client.PurchaseAsync(saleId, other, 1, "o-1")).Status.Should().Be(202, "the sold-out flag dropped: the unit is on sale again");
    }

    [Fact]
    public async Task The_webhook_refuses_forged_and_mismatched_events_takes_a_replay_once_and_refunds_a_late_payment()
    {
        var saleId = await Client.CreateSaleAsync(stock: 5, perUserLimit: 1, paymentTimeoutSeconds: 600);
        var (token, orderId, _) = await Client.PendingOrderAsync(saleId, "Zoë", "hook-1", quantity: 1);
        var order = long.Parse(orderId, CultureInfo.InvariantCulture);

        var paid = new PaymentEvent("pay-hook-1", order, PaymentOutcome.Succeeded, 1999.00m, "CNY").ToUtf8Json();
        (await Client.WebhookAsync(paid, null)).Status.Should().Be(401);
        (await Client.WebhookAsync(paid, new WebhookSignature(Encoding.UTF8.GetBytes("another-secret-0123456789abcdef0123456789")).Sign(paid))).Status.Should().Be(401);
        var tampered = new PaymentEvent("pay-hook-1", order, PaymentOutcome.Succeeded, 1.00m, "CNY").ToUtf8Json();
        (await Client.WebhookAsync(tampered, Signature.Sign(paid))).Status.Should().Be(401, "the signature is of another body");
        var cheap = new PaymentEvent("pay-hook-cheap", order, PaymentOutcome.Succeeded, 1.00m, "CNY").ToUtf8Json();
        var mismatch = await Client.WebhookAsync(cheap, Signature.Sign(cheap));
        (mismatch.Status, mismatch.Body!["code"]!.GetValue<string>()).Should().Be((422, "amount_mismatch"));
        (await Client.WaitForOrderAsync(orderId, token, "pending_payment"))["payment"].Should().BeNull("nothing refused changed the order");

        (await Client.WebhookAsync(paid, Signature.Sign(paid))).Status.Should().Be(200);
        var first = await Client.WaitForOrderAsync(orderId, token, "paid");
        (await Client.WebhookAsync(paid, Signature.Sign(paid))).Status.Should().Be(200, "a replay is answered as processed");
        (await Client.WaitForOrderAsync(orderId, token, "paid")).ToJsonString().Should().Be(first.ToJsonString(), "and changes nothing");

        var second = new PaymentEvent("pay-hook-2", order, PaymentOutcome.Succeeded, 1999.00m, "CNY").ToUtf8Json();
        (await Client.WebhookAsync(second, Signature.Sign(second))).Status.Should().Be(200);
        // Made up here, not at the sandbox: the sandbox refuses its refund (unknown payment), so it stays owed (the
        // sandbox's own payments are refunded: PaymentRaceTests).
        var owed = await WaitForRefundAsync(orderId, token, "refund_pending");
        (owed["status"]!.GetValue<string>(), owed["payment"]!["paymentId"]!.GetValue<string>(), owed["refund"]!["amount"]!.GetValue<decimal>())
            .Should().Be(("paid", "pay-hook-1", 1999.00m), "a second payment is owed back, never honoured");
    }

    private async Task<JsonObject> WaitForRefundAsync(string orderId, string token, string refundStatus)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var order = (await Client.GetAsync($"api/orders/{orderId}", token)).Body!;
            if (order["refund"]?["status"]?.GetValue<string>() == refundStatus) return order;
            if (DateTime.UtcNow > deadline) throw new TimeoutException(order.ToJsonString());
            await Task.Delay(100);
        }
    }
}
