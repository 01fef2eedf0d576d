using FlashSale.Core.Gateway;
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
    FunnelCounters funnelCounters,
    TimeProvider time)
{
    /// <summary>The sale, for the layers before the funnel (404 when unknown); served from memory.</summary>
    public ValueTask<Sale?> FindSaleAsync(long saleId, CancellationToken cancellationToken) => catalog.FindAsync(saleId, cancellationToken);

    /// <summary>Decides a purchase of a known sale that passed the gateway layers.</summary>
    public async ValueTask<GateDecision> PurchaseAsync(Sale sale, string userId, int quantity, string requestId, CancellationToken cancellationToken)
    {
        var funnel = funnelCounters.For(sale.Id);
        funnel.Arrived(FunnelLayer.SaleState);
        var local = LocalAnswer(sale, userId, quantity, requestId);
        if (local is { IsAccepted: true } replayed)
        {
            // A retry of an accepted request during sold-out: its 202 again, straight from this process.
            funnel.Passed(FunnelLayer.SaleState);
            funnel.Arrived(FunnelLayer.Admission);
            funnel.Passed(FunnelLayer.Admission);
            funnel.Arrived(FunnelLayer.Gate);
            funnel.Passed(FunnelLayer.Gate);
            return replayed;
        }
        if (local is { } refused)
        {
            funnel.Stopped(FunnelLayer.SaleState, GateOutcomeCodes.Of(refused.Outcome));
            return refused;
        }
        funnel.Passed(FunnelLayer.SaleState);

        funnel.Arrived(FunnelLayer.Admission);
        var decision = await DecideAsync(sale.Id, userId, quantity, requestId).ConfigureAwait(false);
        if (decision.Outcome == GateOutcome.UnknownSale)
        {
            // The gate lost or never had this sale: rebuild it from the database, then ask once more.
            await PreheatAsync(sale.Id, cancellationToken).ConfigureAwait(false);
            decision = await DecideAsync(sale.Id, userId, quantity, requestId).ConfigureAwait(false);
        }
        if (decision.Outcome == GateOutcome.Busy)
        {
            funnel.Stopped(FunnelLayer.Admission, GateOutcomeCodes.Of(decision.Outcome));
            return decision;
        }
        funnel.Passed(FunnelLayer.Admission);

        funnel.Arrived(FunnelLayer.Gate);
        if (decision.IsAccepted) funnel.Passed(FunnelLayer.Gate);
        else funnel.Stopped(FunnelLayer.Gate, GateOutcomeCodes.Of(decision.Outcome));
        return decision;
    }

    /// <summary>What this process can answer alone (no remote call), or null when the gate must decide.</summary>
    private GateDecision? LocalAnswer(Sale sale, string userId, int quantity, string requestId)
    {
        if (quantity < 1 || quantity > sale.PerUserLimit) return new GateDecision(GateOutcome.Invalid, 0, -1);
        return sale.WindowAt(time.GetUtcNow()) switch
        {
            SaleWindow.Upcoming => new GateDecision(GateOutcome.NotStarted, 0, -1),
            SaleWindow.Ended => new GateDecision(GateOutcome.Ended, 0, -1),
            _ => admission.AnswerFromSoldOutFlag(sale.Id, userId, requestId),
        };
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
