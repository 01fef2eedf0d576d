using System.Text;
using FlashSale.Core.Notifications;
using FlashSale.Core.Orders;
using FlashSale.Core.Payments;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static FlashSale.Adapters.Tests.Purchases;

namespace FlashSale.Adapters.Tests;

/// <summary>
/// A cancellation is two steps: the database's transaction (status, stock, quota), then the gate's share. A gate that
/// cannot be reached, or a process that dies in between, leaves the gate's share owed; the compensation sweeper
/// pays it, once. And refunds: every payment owed back is refunded through its provider, and one the provider
/// refuses does not hold up the others.
/// </summary>
public sealed class EmbeddedCancellationTests
{
    [Fact]
    public async Task A_cancellation_the_gate_cannot_take_yet_is_finished_by_the_sweeper_once_also_after_a_restart()
    {
        using var folder = new TempFolder("cancellation");
        var path = folder.File("flashsale.db");
        var sale = TestEnvironment.NewSale(stock: 1, perUserLimit: 1);
        Order order;
        var flags = new Flags();
        using (var before = new EmbeddedNode(path))
        {
            await before.Store.CreateSaleAsync(sale, default);
            order = await PendingAsync(before, sale, "alice");
            var unreachable = new UnreachableGate(before.Gate);
            var cancellation = new OrderCancellation(before.Store, unreachable, flags, new InProcessOrderNotifier(), TimeProvider.System, NullLogger<OrderCancellation>.Instance);

            (await cancellation.CancelAsync(order, CancelReason.User, default)).Should().Be(CancelOutcome.Cancelled, "the database decides; the gate's share can wait");

            (await before.Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(1, "the database's share went back with the cancellation");
            (await before.Gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(0, "the gate's share is still owed");
            flags.Cleared.Should().BeEmpty("nothing came back to the gate yet");
            (await before.Store.GetUnreturnedCancelledOrdersAsync(0, 10, default)).Should().ContainSingle(i => i.OrderId == order.OrderId);
        }

        using var after = new EmbeddedNode(path); // the process died; the next one starts
        var sweeper = new CompensationSweeper(after.Store, after.Gate, Options.Create(new PipelineOptions()), NullLogger<CompensationSweeper>.Instance);
        (await sweeper.SweepAsync(default)).Returned.Should().BeGreaterThanOrEqualTo(1);
        await sweeper.SweepAsync(default);

        (await after.Gate.GetCountersAsync(sale.Id, default)).Should().Be(new GateSaleCounters(Remaining: 1, Accepted: 1, Returned: 1), "returned once, not twice");
        (await after.Store.GetUnreturnedCancelledOrdersAsync(0, 10, default)).Should().NotContain(i => i.OrderId == order.OrderId);
        (await DecideAsync(after.Gate, sale.Id, Request("bob", 1, "b-1")))[0].Outcome.Should().Be(GateOutcome.Accepted, "the unit sells again");
        (await DecideAsync(after.Gate, sale.Id, Request("alice", 1, "a-2")))[0].Outcome.Should().Be(GateOutcome.SoldOut, "alice's quota is back, the unit is bob's");
    }

    [Fact]
    public async Task A_cancellation_gives_the_gate_its_share_at_once_and_clears_the_sold_out_flag()
    {
        using var node = EmbeddedNode.InNewFolder("cancel-now");
        var sale = TestEnvironment.NewSale(stock: 1, perUserLimit: 1);
        await node.Store.CreateSaleAsync(sale, default);
        var order = await PendingAsync(node, sale, "alice");
        var flags = new Flags();
        var cancellation = new OrderCancellation(node.Store, node.Gate, flags, new InProcessOrderNotifier(), TimeProvider.System, NullLogger<OrderCancellation>.Instance);

        (await cancellation.CancelAsync(order, CancelReason.Admin, default)).Should().Be(CancelOutcome.Cancelled);
        (await cancellation.CancelAsync(order, CancelReason.Admin, default)).Should().Be(CancelOutcome.AlreadyCancelled);

        (await node.Gate.GetCountersAsync(sale.Id, default)).Should().Be(new GateSaleCounters(Remaining: 1, Accepted: 1, Returned: 1));
        flags.Cleared.Should().Equal(sale.Id);
        (await node.Store.GetUnreturnedCancelledOrdersAsync(0, 10, default)).Should().NotContain(i => i.OrderId == order.OrderId, "the return is recorded");
    }

    [Fact]
    public async Task Every_refund_owed_is_refunded_once_and_one_the_provider_refuses_stays_owed_without_holding_up_the_rest()
    {
        using var node = EmbeddedNode.InNewFolder("refunds");
        var sale = TestEnvironment.NewSale(stock: 5, perUserLimit: 1);
        await node.Store.CreateSaleAsync(sale, default);
        var signature = new WebhookSignature(Encoding.UTF8.GetBytes(new string('k', 32)));
        var recorder = new PaymentRecorder(new PaymentWebhook(signature), node.Store, new InProcessOrderNotifier(), new RefundSignal(),
            Options.Create(new PaymentOptions()), TimeProvider.System, NullLogger<PaymentRecorder>.Instance);
        var sandbox = new SandboxPaymentProvider(signature, recorder);
        var orders = new[] { await PendingAsync(node, sale, "a"), await PendingAsync(node, sale, "b") };
        foreach (var order in orders)
        {
            // Two attempts of the sandbox, two payments: the first pays, the second is owed back.
            await sandbox.StartAsync(new PaymentRequest(order.OrderId, order.Amount, "CNY", PaymentKeys.ForPayment(order.OrderId, 1)), default);
            await sandbox.StartAsync(new PaymentRequest(order.OrderId, order.Amount, "CNY", PaymentKeys.ForPayment(order.OrderId, 2)), default);
        }
        // And one the sandbox never made: its refund is refused.
        var stranger = new PaymentEvent("0-not-the-sandbox", orders[0].OrderId, PaymentOutcome.Succeeded, orders[0].Amount, "CNY").ToUtf8Json();
        (await recorder.DeliverAsync(stranger, signature.Sign(stranger), default)).Should().Be(WebhookDelivery.Processed);
        var worker = new RefundWorker(node.Store, [sandbox], new InProcessOrderNotifier(), new RefundSignal(), Options.Create(new PaymentOptions()),
            NullLogger<RefundWorker>.Instance, TimeProvider.System);

        (await worker.RefundOwedAsync(default)).Should().Be((2, 1));
        (await worker.RefundOwedAsync(default)).Should().Be((0, 1), "refunded ones are not asked again; the refused one is");

        var second = (await node.Store.FindOrderAsync(orders[1].OrderId, default))!;
        (second.Status, second.Refund).Should().Be((OrderStatus.Paid, new OrderRefund(OrderRefundStatus.Refunded, second.Amount)));
        var first = (await node.Store.FindOrderAsync(orders[0].OrderId, default))!;
        first.Refund.Should().Be(new OrderRefund(OrderRefundStatus.Pending, 2 * first.Amount), "one of its two owed payments is still owed");
    }

    private static async Task<Order> PendingAsync(EmbeddedNode node, Core.Sales.Sale sale, string user)
    {
        var decision = (await DecideAsync(node.Gate, sale.Id, Request(user, 1, user + "-1")))[0];
        decision.Outcome.Should().Be(GateOutcome.Accepted);
        await node.Store.WriteOrdersAsync([(await node.Gate.FindIntentAsync(decision.OrderId, default))!], default);
        return (await node.Store.FindOrderAsync(decision.OrderId, default))!;
    }

    private sealed class Flags : IClosedFlags
    {
        public List<long> Cleared { get; } = [];

        public void ClearSoldOut(long saleId) => Cleared.Add(saleId);
    }

    /// <summary>The gate, except that giving units back fails as an unreachable Redis does.</summary>
    private sealed class UnreachableGate(IStockGate inner) : IStockGate
    {
        public Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken) =>
            inner.DecideAsync(saleId, requests, decisions, cancellationToken);
        public Task<GateLoad> LoadSaleAsync(long saleId, Func<CancellationToken, Task<Core.Sales.SaleStockSnapshot?>> readStore, GateLoadMode mode, CancellationToken cancellationToken) =>
            inner.LoadSaleAsync(saleId, readStore, mode, cancellationToken);
        public Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken) => inner.GetCountersAsync(saleId, cancellationToken);
        public Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken) => inner.FindIntentAsync(orderId, cancellationToken);
        public Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken) =>
            inner.GetAcceptedRequestsAsync(saleId, cancellationToken);
        public Task<bool> ReturnAsync(OrderIntent intent, CancellationToken cancellationToken) => throw new GateUnavailableException("Redis unavailable");
    }
}
