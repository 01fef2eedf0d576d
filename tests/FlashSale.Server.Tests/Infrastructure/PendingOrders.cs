using System.Text;
using System.Text.Json.Nodes;
using FlashSale.Core.Payments;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>A buyer's order waiting for its payment: who bought it, with which token, and the order as the API showed it.</summary>
public sealed record PendingOrder(string UserId, string Token, string OrderId, JsonObject Order)
{
    public DateTimeOffset PaymentDeadline => Order["paymentDeadline"]!.GetValue<DateTimeOffset>();
    public decimal Amount => Order["amount"]!.GetValue<decimal>();
}

/// <summary>Orders made for a test of their payment and their timeout, and payments a provider sends by webhook.</summary>
public static class PendingOrders
{
    private static readonly WebhookSignature Signature = new(Encoding.UTF8.GetBytes(TestServices.WebhookSecret));

    /// <summary>One unit for each of <paramref name="users"/> new users (each from an address of its own), every one accepted and persisted.</summary>
    /// <param name="read">Reads each order (its deadline, its amount) once all are persisted; otherwise the orders carry no body.</param>
    public static async Task<List<PendingOrder>> BuyAsync(FlashSaleClient client, string saleId, int users, string prefix, int concurrency = 64, bool read = true)
    {
        var bought = new (string UserId, string Token, string OrderId)[users];
        await Parallel.ForEachAsync(Enumerable.Range(0, users), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            var userId = $"{prefix}{i}";
            var token = await client.TokenAsync(userId);
            var answer = await client.BuyDecidedAsync(saleId, token, $"buy-{i}", $"198.18.{i / 250 % 256}.{i % 250 + 1}");
            answer.Status.Should().Be(202, answer.Code);
            bought[i] = (userId, token, answer.OrderId!);
        });
        await client.WaitForDrainAsync(saleId);
        if (!read) return [.. bought.Select(b => new PendingOrder(b.UserId, b.Token, b.OrderId, []))];
        var orders = new PendingOrder[users];
        await Parallel.ForEachAsync(Enumerable.Range(0, users), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            var (userId, token, orderId) = bought[i];
            orders[i] = new PendingOrder(userId, token, orderId, await client.WaitForOrderAsync(orderId, token, "pending_payment"));
        });
        return [.. orders];
    }

    /// <summary>A provider's signed webhook: payment <paramref name="paymentId"/> of the order's amount succeeded.</summary>
    public static Task<(int Status, JsonObject? Body)> WebhookPaymentAsync(this FlashSaleClient client, PendingOrder order, string paymentId)
    {
        var body = new PaymentEvent(paymentId, long.Parse(order.OrderId, System.Globalization.CultureInfo.InvariantCulture), PaymentOutcome.Succeeded,
            order.Amount, "CNY").ToUtf8Json();
        return client.WebhookAsync(body, Signature.Sign(body));
    }

    /// <summary>The server's clock minus ours (the midpoint of the shortest of three round trips to /api/time).</summary>
    public static async Task<TimeSpan> ServerClockOffsetAsync(FlashSaleClient client)
    {
        var best = (Rtt: TimeSpan.MaxValue, Offset: TimeSpan.Zero);
        for (var i = 0; i < 3; i++)
        {
            var sent = DateTimeOffset.UtcNow;
            var (_, body) = await client.GetAsync("api/time");
            var received = DateTimeOffset.UtcNow;
            var server = DateTimeOffset.FromUnixTimeMilliseconds(body!["epochMs"]!.GetValue<long>());
            if (received - sent < best.Rtt) best = (received - sent, server - (sent + (received - sent) / 2));
        }
        return best.Offset;
    }
}
