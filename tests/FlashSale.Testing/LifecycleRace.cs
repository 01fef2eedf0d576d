using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace FlashSale.Testing;

/// <summary>
/// The order lifecycle under a race, the same scenario for both modes: 2,000 users race for 1,000 units (limit 1,
/// 10 s to pay); of the winners half pay, a fifth cancel, a tenth are cancelled by an admin and a fifth let the
/// deadline pass, while later racers and then other buyers (new users, and the first race's users, whose quota a cancellation gave back)
/// keep trying and pay whatever they win, until the sale is sold out with no order pending. Then
/// <see cref="SettlementAudit"/> checks the whole sale, and every paid unit is one of the stock.
/// </summary>
public static class LifecycleRace
{
    public const int Stock = 1_000, Racers = 2_000, PaymentTimeoutSeconds = 10;
    private const int Rebuyers = 16;

    public static async Task RunAsync(IReadOnlyList<FlashSaleClient> clients, Func<string, Task<SaleBook>> read)
    {
        var admin = clients[0];
        var saleId = await admin.CreateSaleAsync(Stock, perUserLimit: 1, paymentTimeoutSeconds: PaymentTimeoutSeconds);
        var tokens = await Crowd.SignInAsync(admin, Racers, "lifecycle");
        // Each winner acts as soon as its order is in the database (so that a payment is well within its 10 s): of the
        // winners in the order they won, half pay, a fifth cancel, a tenth are cancelled by an admin and a fifth do
        // nothing and are left to the timeout. A unit a cancellation gives back may go to a later racer.
        var expected = new ConcurrentDictionary<string, string[]>();
        var answers = new PurchaseAnswer[Racers];
        var won = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, Racers), new ParallelOptions { MaxDegreeOfParallelism = 128 }, async (user, _) =>
        {
            var client = clients[user % clients.Count];
            var answer = answers[user] = await client.BuyDecidedAsync(saleId, tokens[user], $"race-{user}", $"198.51.{user / 250 % 256}.{user % 250 + 1}");
            if (answer.Status != 202) return;
            var action = (Interlocked.Increment(ref won) % 10) switch
            {
                < 5 => "pay",
                5 or 6 => "cancel",
                7 => "admin",
                _ => "none",
            };
            expected[answer.OrderId!] = [await ActAsync(client, answer.OrderId!, tokens[user], action)];
        });
        answers.Select(a => a.Status).Distinct().Should().BeSubsetOf([202, 410], "each racer tries once: accepted or sold out");
        answers.Count(a => a.Status == 202).Should().BeGreaterThanOrEqualTo(Stock, "the race sells the stock out, and what cancellations give back");

        // The buyers who keep trying while the timeout cancels the rest.
        using var settled = new CancellationTokenSource();
        var rebuyers = Enumerable.Range(0, Rebuyers).Select(n => RebuyAsync(clients[n % clients.Count], saleId, tokens, n, expected, settled.Token)).ToArray();

        // Until every returned unit sold again and was paid: sold out in the gate and the database, nothing pending.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonObject stats;
        while (true)
        {
            stats = await admin.StatsAsync(saleId);
            if (stats["remainingInGate"]!.GetValue<long>() == 0 && stats["remainingInDb"]!.GetValue<long>() == 0
                && stats["accepted"]!.GetValue<long>() == stats["persisted"]!.GetValue<long>()
                && stats["ordersByStatus"]!["pending_payment"]!.GetValue<long>() == 0) break;
            if (DateTime.UtcNow > deadline || rebuyers.Any(r => r.IsFaulted)) break;
            await Task.Delay(200);
        }
        await settled.CancelAsync();
        await Task.WhenAll(rebuyers);
        stats["ordersByStatus"]!["pending_payment"]!.GetValue<long>().Should().Be(0, $"every returned unit sold again and was paid: {stats.ToJsonString()}");

        var (book, _) = await SettlementAudit.VerifyAsync(admin, saleId, Stock, () => read(saleId), expected);
        book.Orders.Should().HaveCount(expected.Count, "every order was answered 202 to someone");
        book.Orders.Where(o => o.Status == "paid").Sum(o => o.Quantity).Should().Be(Stock, "every cancelled unit sold again");
        book.Orders.Should().Contain(o => o.CancelReason == "timeout").And.Contain(o => o.CancelReason == "user").And.Contain(o => o.CancelReason == "admin");
    }

    /// <summary>
    /// The buyer's action on its order once the order is in the database: pay, cancel, or an admin's cancel; returns the
    /// outcome it leads to. A buyer who gets there with less than 3 s left, or after the timeout (a slow pipeline on a
    /// busy machine), does nothing: its order is the timeout's. An action that still arrives after the deadline (a
    /// stall of more than 3 s on a busy machine) must lose to the timeout the way a late buyer does: a payment is
    /// refused (and refunded, which the audit checks), a cancellation answers the order the timeout cancelled.
    /// </summary>
    private static async Task<string> ActAsync(FlashSaleClient client, string orderId, string token, string action)
    {
        var pending = await client.WaitForOrderAsync(orderId, token, "pending_payment", orElse: "cancelled");
        if (action == "none" || pending["status"]!.GetValue<string>() == "cancelled"
            || pending["paymentDeadline"]!.GetValue<DateTimeOffset>() - DateTimeOffset.UtcNow < TimeSpan.FromSeconds(3)) return "cancelled:timeout";
        var answer = action == "admin"
            ? await client.PostAsync($"api/admin/orders/{orderId}/cancel", new { }, adminKey: TestServices.AdminKey)
            : await client.OrderActionAsync(orderId, action, token);
        var order = answer.Status == 200 ? answer.Body! : (await client.GetAsync($"api/orders/{orderId}", token)).Body!;
        var timedOut = order["status"]?.GetValue<string>() == "cancelled" && order["cancelReason"]?.GetValue<string>() == "timeout";
        if (timedOut && (action == "pay" ? answer.Body?["code"]?.GetValue<string>() == "order_not_payable" : answer.Status == 200)) return "cancelled:timeout";
        answer.Status.Should().Be(200, $"{action} of {orderId} at {DateTimeOffset.UtcNow:O}: {answer.Body?.ToJsonString()}; the order: {order.ToJsonString()}");
        return action switch { "pay" => "paid", "cancel" => "cancelled:user", _ => "cancelled:admin" };
    }

    /// <summary>
    /// A buyer who keeps trying (a new user, then one of the racers, in turn) and pays what it wins; a 503, 429 or lost
    /// answer is retried with the same requestId. Stops when told, between attempts.
    /// </summary>
    private static async Task RebuyAsync(FlashSaleClient client, string saleId, string[] racers, int lane, ConcurrentDictionary<string, string[]> expected,
        CancellationToken stop)
    {
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            var token = n % 2 == 0 ? await client.TokenAsync($"rebuyer{lane}-{n}") : racers[(lane * 131 + n * 17) % racers.Length];
            var requestId = $"rebuy-{lane}-{n}";
            // Each attempt from an address of its own (benchmarking range, in a header only): many users behind one
            // address is a risk signal, and these buyers are meant to be judged by the gate.
            var ip = $"198.18.{lane}.{n % 250 + 1}";
            var answer = await client.BuyDecidedAsync(saleId, token, requestId, ip);
            answer.Status.Should().BeOneOf([202, 409, 410], $"a purchase is decided ({answer.Code})");
            if (answer.Status != 202)
            {
                await Task.Delay(50, CancellationToken.None);
                continue;
            }
            expected[answer.OrderId!] = [await ActAsync(client, answer.OrderId!, token, "pay")];
        }
    }
}
