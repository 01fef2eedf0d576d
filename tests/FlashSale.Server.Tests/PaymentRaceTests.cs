using System.Collections.Concurrent;
using System.Globalization;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// Payments racing the payment timeout on two API+worker processes that both sweep (every 100 ms here, so that the
/// sweeps meet the payments): 200 orders with 10 s to pay, each paid at its deadline give or take a few milliseconds,
/// through the buyer's <c>pay</c> (the sandbox, the webhook's code path) or the provider's signed webhook.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class PaymentRaceTests() : ServerProcessTest(new ServerProcess("api,worker", FastSweeps), new ServerProcess("api,worker", FastSweeps))
{
    private const int Orders = 200;
    private static readonly Dictionary<string, string> FastSweeps = new() { ["FlashSale__Payments__TimeoutSweepInterval"] = "00:00:00.100" };

    [Fact]
    public async Task A_payment_at_the_deadline_either_pays_the_order_or_is_refunded_and_never_both()
    {
        var saleId = await Client.CreateSaleAsync(Orders, perUserLimit: 1, paymentTimeoutSeconds: 10);
        var orders = await PendingOrders.BuyAsync(Client, saleId, Orders, "deadline");
        var offset = await PendingOrders.ServerClockOffsetAsync(Client);

        // Three groups: pay (3 in 5), the provider's webhook at the deadline (1 in 5), its webhook once the order is
        // seen cancelled (1 in 5: a payment that surely lost). Offsets from the deadline: most within ±5 ms, the
        // others spread to ±300 ms, so that some payments surely win and some surely lose.
        var plan = orders.Select((o, i) => (Order: o, Client: Clients[i % 2], Kind: (i % 5) switch { < 3 => "pay", 3 => "webhook", _ => "late" },
            At: o.PaymentDeadline - offset + TimeSpan.FromMilliseconds(i % 2 == 0 ? i % 11 - 5 : (i * 37 % 601) - 300))).ToList();
        var answers = new ConcurrentDictionary<string, (int Status, string? Code)>();
        var sent = new List<Task>();
        foreach (var p in plan.Where(p => p.Kind != "late").OrderBy(p => p.At))
        {
            // Waits for the moment on this thread (a sleep, then a spin for the last milliseconds), then fires without waiting.
            var wait = p.At - DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(15);
            if (wait > TimeSpan.Zero) await Task.Delay(wait);
            while (DateTimeOffset.UtcNow < p.At) Thread.SpinWait(100);
            sent.Add(Task.Run(async () =>
            {
                var answer = p.Kind == "pay"
                    ? await p.Client.OrderActionAsync(p.Order.OrderId, "pay", p.Order.Token)
                    : await p.Client.WebhookPaymentAsync(p.Order, $"provider-pay-{p.Order.OrderId}");
                answers[p.Order.OrderId] = (answer.Status, answer.Body?["code"]?.GetValue<string>());
            }));
        }
        await Task.WhenAll(sent);
        await Parallel.ForEachAsync(plan.Where(p => p.Kind == "late"), async (p, _) =>
        {
            await p.Client.WaitForOrderAsync(p.Order.OrderId, p.Order.Token, "cancelled");
            var answer = await p.Client.WebhookPaymentAsync(p.Order, $"provider-late-{p.Order.OrderId}");
            answers[p.Order.OrderId] = (answer.Status, null);
        });

        var expected = new Dictionary<string, string[]>();
        foreach (var p in plan)
        {
            var (status, code) = answers[p.Order.OrderId];
            expected[p.Order.OrderId] = (p.Kind, status, code) switch
            {
                ("pay", 200, _) => ["paid"],
                ("pay", 409, "order_not_payable") => ["cancelled:timeout"],
                ("webhook", 200, _) => ["paid", "cancelled:timeout"],
                ("late", 200, _) => ["cancelled:timeout"],
                _ => throw new InvalidOperationException($"{p.Kind} of {p.Order.OrderId} answered {status} {code}"),
            };
        }

        var (book, _) = await SettlementAudit.VerifyAsync(Client, saleId, Orders, () => Database.BookAsync(Sale(saleId)), expected);
        var byId = book.Orders.ToDictionary(o => o.Id);
        var outcomes = plan.GroupBy(p => p.Kind).ToDictionary(g => g.Key, g => g.GroupBy(p => byId[p.Order.OrderId].Outcome).ToDictionary(o => o.Key, o => o.Count()));
        var summary = string.Join("; ", outcomes.Select(k => $"{k.Key}: {string.Join(", ", k.Value.Select(o => $"{o.Value} {o.Key}"))}"));
        // Which payments win depends on the machine's load; that some win and some lose does not.
        book.Orders.Select(o => o.Outcome).Distinct().Should().BeEquivalentTo(["paid", "cancelled:timeout"], $"payments at the deadline win and lose ({summary})");
        outcomes["late"].Keys.Should().Equal(["cancelled:timeout"], summary);

        // Every payment that lost is owed back, for the order's amount; the sandbox's are refunded.
        var lost = book.Payments.Where(p => p.Status != "succeeded").ToList();
        lost.Should().HaveCountGreaterThanOrEqualTo(Orders / 5, "every late webhook payment lost");
        foreach (var payment in lost)
        {
            var order = orders.Single(o => o.OrderId == payment.OrderId.ToString(CultureInfo.InvariantCulture));
            var shown = (await Client.GetAsync($"api/orders/{order.OrderId}", order.Token)).Body!;
            shown["status"]!.GetValue<string>().Should().Be("cancelled", $"a payment that lost lost to the timeout: {shown.ToJsonString()}");
            shown["refund"]!["amount"]!.GetValue<decimal>().Should().Be(order.Amount);
            shown["refund"]!["status"]!.GetValue<string>().Should().Be(SettlementAudit.TakenBySandbox(payment) ? "refunded" : "refund_pending",
                "the sandbox refunds its own payments; a provider's made-up payment stays owed");
        }

        // No paid order's units went back to the gate.
        var returned = (await Reconciliation.Gate.SetMembersAsync(Reconciliation.GateKey(Sale(saleId), "failed"))).Select(v => v.ToString()).ToHashSet();
        book.Orders.Where(o => o.Status == "paid" && returned.Contains(o.Id)).Select(o => o.Id).Should().BeEmpty("a paid order keeps its units");
        returned.Should().BeEquivalentTo(book.Orders.Where(o => o.Status == "cancelled").Select(o => o.Id), "the gate took back exactly the cancelled orders");
    }

    private static long Sale(string saleId) => long.Parse(saleId, CultureInfo.InvariantCulture);
}
