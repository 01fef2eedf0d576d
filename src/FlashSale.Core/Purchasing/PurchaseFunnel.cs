using FlashSale.Core.Ids;
using FlashSale.Core.Orders;
using FlashSale.Core.Sales;

namespace FlashSale.Core.Purchasing;

/// <summary>
/// Where a purchase is decided, after authentication: the local sale-state check (no remote call),
/// then admission into the sale's queue, then the gate's batched atomic decision.
/// </summary>
public sealed class PurchaseFunnel(
    SaleCatalog catalog,
    PurchaseAdmission admission,
    IStockGate gate,
    IFlashSaleStore store,
    SnowflakeIdGenerator ids,
    TimeProvider time)
{
    public async ValueTask<GateDecision> PurchaseAsync(long saleId, string userId, int quantity, string requestId, CancellationToken cancellationToken)
    {
        var sale = await catalog.FindAsync(saleId, cancellationToken).ConfigureAwait(false);
        if (sale is null) return new GateDecision(GateOutcome.UnknownSale, 0, -1);
        if (quantity < 1 || quantity > sale.PerUserLimit) return new GateDecision(GateOutcome.Invalid, 0, -1);
        switch (sale.WindowAt(time.GetUtcNow()))
        {
            case SaleWindow.Upcoming: return new GateDecision(GateOutcome.NotStarted, 0, -1);
            case SaleWindow.Ended: return new GateDecision(GateOutcome.Ended, 0, -1);
        }
        if (admission.IsFlaggedSoldOut(saleId)) return new GateDecision(GateOutcome.SoldOut, 0, 0);

        var decision = await DecideAsync(saleId, userId, quantity, requestId).ConfigureAwait(false);
        if (decision.Outcome != GateOutcome.UnknownSale) return decision;

        // The gate lost or never had this sale: rebuild it from the database, then ask once more.
        await PreheatAsync(saleId, cancellationToken).ConfigureAwait(false);
        return await DecideAsync(saleId, userId, quantity, requestId).ConfigureAwait(false);
    }

    /// <summary>Loads the sale's persisted stock and user totals into the gate, unless it holds them already.</summary>
    public async Task PreheatAsync(long saleId, CancellationToken cancellationToken)
    {
        var snapshot = await store.GetStockSnapshotAsync(saleId, cancellationToken).ConfigureAwait(false);
        if (snapshot is not null) await gate.PreheatAsync(snapshot, cancellationToken).ConfigureAwait(false);
    }

    private ValueTask<GateDecision> DecideAsync(long saleId, string userId, int quantity, string requestId)
    {
        var request = new PurchaseRequest(userId, requestId, quantity, ids.NextId());
        return admission.TryEnqueue(saleId, request, out var decision)
            ? decision
            : ValueTask.FromResult(new GateDecision(GateOutcome.Busy, 0, -1));
    }
}
