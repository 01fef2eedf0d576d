using System.Collections.Concurrent;
using System.Globalization;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// SIGKILL in the middle of the order lifecycle: a worker while the payment timeout is cancelling thousands of due
/// orders, and an API process while payments go through it. Processes: an API (the one killed), an API+worker and two
/// workers; they sweep 100 orders a statement, so that a sweep of thousands takes a while. The sandbox refunds only
/// payments its own process took, and refunds run in the worker role: the API that survives is also a worker, so that
/// a payment it takes after the timeout is refunded.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class LifecycleCrashTests() : ServerProcessTest(
    new ServerProcess("api"), new ServerProcess("api,worker", SmallSweeps), new ServerProcess("worker", SmallSweeps), new ServerProcess("worker", SmallSweeps))
{
    private static readonly Dictionary<string, string> SmallSweeps = new() { ["FlashSale__Payments__TimeoutBatchSize"] = "100" };

    private ServerProcess[] Apis => Servers[..2];
    private ServerProcess[] Workers => Servers[2..];

    [Fact]
    public async Task Killing_a_worker_mid_sweep_cancels_every_due_order_once_and_its_units_sell_again()
    {
        const int Stock = 3_000;
        var client = Clients[1];
        var saleId = await client.CreateSaleAsync(Stock, perUserLimit: 1, paymentTimeoutSeconds: 10);
        var first = await PendingOrders.BuyAsync(client, saleId, Stock, "unpaid", concurrency: 128, read: false);

        // The sweep has begun (some orders cancelled) and is not done: kill a worker there, restart it.
        var atKill = await SaleAudit.UntilAsync(client, saleId, s => Cancelled(s) >= Stock / 10, TimeSpan.FromSeconds(60), "the timeout sweep");
        Workers[0].Kill();
        Cancelled(atKill).Should().BeLessThan(Stock, $"the worker was killed while the sweep was still cancelling: {atKill.ToJsonString()}");
        await Task.Delay(500);
        await Workers[0].StartAsync();

        var everyOrderTimedOut = first.ToDictionary(o => o.OrderId, _ => new[] { "cancelled:timeout" });
        await SettlementAudit.VerifyAsync(client, saleId, Stock, () => Database.BookAsync(Sale(saleId)), everyOrderTimedOut);

        // The sold-out flag dropped: new buyers get the stock that came back; then their orders time out too.
        var second = await Crowd.SignInAsync(client, Stock + 500, "again");
        var answers = new PurchaseAnswer[second.Length];
        await Parallel.ForEachAsync(Enumerable.Range(0, second.Length), new ParallelOptions { MaxDegreeOfParallelism = 128 }, async (i, _) =>
            answers[i] = await Clients[i % 2].BuyDecidedAsync(saleId, second[i], $"again-{i}", $"198.19.{i / 250 % 256}.{i % 250 + 1}"));
        answers.Select(a => a.Status).Distinct().Should().BeSubsetOf([202, 410]);
        // All of it sells again, and sells out again (units a second order gives back while these buy sell once more).
        answers.Count(a => a.Status == 202).Should().BeGreaterThanOrEqualTo(Stock, "the returned stock sells again");
        answers.Should().Contain(a => a.Status == 410, "and sells out again");
        foreach (var a in answers.Where(a => a.Status == 202)) everyOrderTimedOut[a.OrderId!] = ["cancelled:timeout"];
        var (book, stats) = await SettlementAudit.VerifyAsync(client, saleId, Stock, () => Database.BookAsync(Sale(saleId)), everyOrderTimedOut, TimeSpan.FromSeconds(90));
        book.Orders.Should().HaveCount(everyOrderTimedOut.Count, "every order was answered 202 to someone");
        (stats["returned"]!.GetValue<long>(), stats["remainingInGate"]!.GetValue<long>()).Should().Be((everyOrderTimedOut.Count, Stock));
    }

    [Fact]
    public async Task Killing_an_api_mid_payment_leaves_every_order_paid_once_or_cancelled_by_the_timeout()
    {
        const int Stock = 600, Paying = Stock * 3 / 4;
        var (doomed, survivor) = (Clients[0], Clients[1]);
        var saleId = await survivor.CreateSaleAsync(Stock, perUserLimit: 1, paymentTimeoutSeconds: 10);
        var tokens = await Crowd.SignInAsync(survivor, Stock, "payer");

        // Each buyer buys through the API that survives; three in four then pay, as soon as their order is in the
        // database, through the API that is killed once a quarter of the payments are answered. Whoever lost the
        // answer tries again through the other API at once, every other such buyer: a real client would, some give up.
        var orders = new ConcurrentDictionary<string, string>();
        var answers = new ConcurrentDictionary<string, (int Status, string? Code)>();
        var paid = 0;
        var payments = Parallel.ForEachAsync(Enumerable.Range(0, Stock), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            var bought = await survivor.BuyDecidedAsync(saleId, tokens[i], $"buy-{i}", $"198.18.{i / 250 % 256}.{i % 250 + 1}");
            bought.Status.Should().Be(202, bought.Code);
            var orderId = orders[bought.OrderId!] = bought.OrderId!;
            if (i % 4 == 3) return;
            await survivor.WaitForOrderAsync(orderId, tokens[i], "pending_payment");
            try
            {
                var answer = await doomed.OrderActionAsync(orderId, "pay", tokens[i]);
                answers[orderId] = (answer.Status, answer.Body?["code"]?.GetValue<string>());
                Interlocked.Increment(ref paid);
            }
            catch (HttpRequestException)
            {
                answers[orderId] = (0, null);
            }
        });
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref paid) >= Paying / 4));
        Apis[0].Kill();
        await payments;
        var tokenOf = Enumerable.Range(0, Stock).ToDictionary(i => $"payer{i}", i => tokens[i]);
        var lost = answers.Where(a => a.Value.Status == 0).Select(a => a.Key).Order().ToList();
        lost.Should().NotBeEmpty("the API was killed with payments in flight");
        answers.Values.Should().Contain(a => a.Status == 200, "payments were answered before the kill");
        var retried = lost.Where((_, i) => i % 2 == 0).ToList();
        var owners = (await Database.OrdersAsync(Sale(saleId))).ToDictionary(o => o.OrderId.ToString(CultureInfo.InvariantCulture), o => o.UserId);
        await Parallel.ForEachAsync(retried, async (orderId, _) =>
        {
            var answer = await survivor.OrderActionAsync(orderId, "pay", tokenOf[owners[orderId]]);
            answers[orderId] = (answer.Status, answer.Body?["code"]?.GetValue<string>());
        });
        await Apis[0].StartAsync();

        var expected = orders.Keys.ToDictionary(id => id, id => answers.TryGetValue(id, out var a)
            ? a switch
            {
                (200, _) or (409, "already_paid") => ["paid"],
                (409, "order_not_payable") or (0, _) => new[] { "paid", "cancelled:timeout" },
                _ => throw new InvalidOperationException($"pay of {id} answered {a.Status} {a.Code}"),
            }
            : ["cancelled:timeout"]);
        var (book, _) = await SettlementAudit.VerifyAsync(survivor, saleId, Stock, () => Database.BookAsync(Sale(saleId)), expected);
        book.Orders.Should().Contain(o => o.Status == "paid").And.Contain(o => o.Status == "cancelled");
        book.Payments.Where(p => p.Status == "succeeded").Should().HaveCount(book.Orders.Count(o => o.Status == "paid"), "one payment taken per paid order");
    }

    private static long Cancelled(System.Text.Json.Nodes.JsonObject stats) => stats["ordersByStatus"]!["cancelled"]!.GetValue<long>();

    private static long Sale(string saleId) => long.Parse(saleId, CultureInfo.InvariantCulture);
}
