using FlashSale.Core.Orders;
using FlashSale.Core.Sales;

namespace FlashSale.Core.Purchasing;

/// <summary>
/// The one atomic stock decision. For each request, in order: window open? requestId seen
/// (return the earlier order)? user total + quantity within the limit? stock enough? Then deduct, add to
/// the user's total, record the requestId and append the order intent to the sale's ledger, all at once.
/// </summary>
public interface IStockGate
{
    /// <summary>Decides <paramref name="requests"/> in order; <paramref name="decisions"/>[i] answers requests[i].
    /// Throws <see cref="GateUnavailableException"/> when no decision could be made.</summary>
    Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken);

    /// <summary>
    /// Loads a sale into the gate unless the gate holds it already (never resets live state). A gate that keeps
    /// intents of its own (Redis: the ledger) reads them first and the store's snapshot after, through
    /// <paramref name="readStore"/>, so an intent persisted (and trimmed from the ledger) in between is in the
    /// snapshot: the rebuilt gate counts every accepted intent once, persisted or not.
    /// </summary>
    Task<GateLoad> LoadSaleAsync(long saleId, Func<CancellationToken, Task<SaleStockSnapshot?>> readStore, GateLoadMode mode, CancellationToken cancellationToken);

    /// <summary>Stock left and units accepted, or null when the gate does not hold the sale.</summary>
    Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>An accepted order the gate holds, in any sale it holds (it may not have reached the database yet).</summary>
    Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken);

    /// <summary>Every (user, requestId) the gate has accepted in the sale, with its order id: what a process
    /// answering "sold out" from its own flag needs so that a retry of an accepted request still gets its 202.</summary>
    Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>Gives a failed or cancelled order's units and quota back, once: returns false when they were already given back.</summary>
    Task<bool> ReturnAsync(OrderIntent intent, CancellationToken cancellationToken);
}

public enum GateLoad
{
    /// <summary>The gate already held the sale; nothing was changed.</summary>
    Held,
    /// <summary>The gate was (re)built from the store plus the intents it kept.</summary>
    Loaded,
    /// <summary>The store does not know the sale.</summary>
    UnknownSale,
    /// <summary>The gate held the sale before and lost its state together with its intents not yet persisted: it
    /// stays closed (503) until an operator rebuilds it once the pipeline has drained (reconcile with repair).</summary>
    StateLost,
}

public enum GateLoadMode
{
    Normal,
    /// <summary>Rebuild from the store even though the gate's own intents are gone: only once the pipeline has drained.</summary>
    AfterStateLoss,
}

/// <param name="Returned">Units of failed and cancelled orders given back (<see cref="IStockGate.ReturnAsync"/>): they may sell again.</param>
public sealed record GateSaleCounters(long Remaining, long Accepted, long Returned);

public sealed class GateUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
