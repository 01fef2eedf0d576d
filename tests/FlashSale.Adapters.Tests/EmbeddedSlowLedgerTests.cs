using FlashSale.Core.Embedded;
using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlashSale.Adapters.Tests;

/// <summary>
/// Embedded mode with a ledger slower than the gate timeout (a disk whose fsync stalls): the buyer hears 503
/// (outcome unknown), the append still completes, and the retry with the same requestId gets the order.
/// </summary>
public sealed class EmbeddedSlowLedgerTests
{
    [Fact]
    public async Task A_stalled_fsync_answers_503_and_the_retry_gets_the_order_the_ledger_kept()
    {
        // A stall far beyond the gate timeout: on a loaded machine the timeout's timer may itself run a second late.
        using var node = EmbeddedNode.InNewFolder("slow", ledger: sqlite => new SlowLedger(sqlite, TimeSpan.FromSeconds(5)));
        var ledger = (SlowLedger)node.Ledger;
        await using var admission = new PurchaseAdmission(node.Gate, Options.Create(new AdmissionOptions { GateTimeout = TimeSpan.FromMilliseconds(300) }),
            TimeProvider.System, NullLogger<PurchaseAdmission>.Instance);
        var sale = TestEnvironment.NewSale(stock: 5, perUserLimit: 1);
        await node.Store.CreateSaleAsync(sale, default);

        admission.TryEnqueue(sale.Id, new PurchaseRequest("zoë", "slow-1", 1, 101), out var first).Should().BeTrue();
        (await first).Outcome.Should().Be(GateOutcome.Unavailable, "the ledger did not confirm within the gate timeout");

        await ledger.Appended.Task.WaitAsync(TimeSpan.FromSeconds(10));
        ledger.Delay = TimeSpan.Zero;
        admission.TryEnqueue(sale.Id, new PurchaseRequest("zoë", "slow-1", 1, 102), out var retry).Should().BeTrue();
        (await retry).Should().Be(new GateDecision(GateOutcome.Replayed, 101, 4), "the purchase was accepted and made durable after all");
        (await ledger.LoadSaleAsync(sale.Id, default)).Should().ContainSingle().Which.Intent.OrderId.Should().Be(101);
    }

    private sealed class SlowLedger(IInProcessLedger inner, TimeSpan delay) : IInProcessLedger
    {
        public TimeSpan Delay { get; set; } = delay;
        public TaskCompletionSource Appended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task AppendAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
        {
            await Task.Delay(Delay, CancellationToken.None);
            await inner.AppendAsync(intents, cancellationToken);
            Appended.TrySetResult();
        }

        public Task<bool> MarkReturnedAsync(long orderId, CancellationToken cancellationToken) => inner.MarkReturnedAsync(orderId, cancellationToken);
        public Task<IReadOnlyList<LedgerRecord>> LoadSaleAsync(long saleId, CancellationToken cancellationToken) => inner.LoadSaleAsync(saleId, cancellationToken);
        public Task<IReadOnlyList<OrderIntent>> LoadUnwrittenAsync(CancellationToken cancellationToken) => inner.LoadUnwrittenAsync(cancellationToken);
    }
}
