using System.Collections.Concurrent;
using FlashSale.Core.Orders;
using Microsoft.Extensions.Logging;

namespace FlashSale.Core.Purchasing;

/// <summary>
/// Puts a sale into the stock gate: at its creation, when the gate lost it (the funnel), and after a loss of the
/// gate's state and ledger once the pipeline has drained (reconciliation with repair).
/// </summary>
public sealed class GateLoader(IStockGate gate, IFlashSaleStore store, ILogger<GateLoader> logger)
{
    private readonly ConcurrentDictionary<(long SaleId, GateLoadMode Mode), Lazy<Task<GateLoad>>> _loads = new();

    /// <summary>
    /// Loads the sale into the gate unless it holds it already (at creation, and when the gate lost it), from the
    /// database plus the intents the gate kept. Concurrent calls of one process share one load. Any failure
    /// (the database down, say) is <see cref="GateUnavailableException"/>: the purchase is answered 503.
    /// </summary>
    public async Task<GateLoad> LoadAsync(long saleId, GateLoadMode mode, CancellationToken cancellationToken)
    {
        var load = _loads.GetOrAdd((saleId, mode), key => new Lazy<Task<GateLoad>>(() => LoadOnceAsync(key.SaleId, key.Mode)));
        try
        {
            return await load.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (load.Value.IsCompleted) _loads.TryRemove(new KeyValuePair<(long, GateLoadMode), Lazy<Task<GateLoad>>>((saleId, mode), load));
        }
    }

    private async Task<GateLoad> LoadOnceAsync(long saleId, GateLoadMode mode)
    {
        GateLoad load;
        try
        {
            load = await gate.LoadSaleAsync(saleId, ct => store.GetStockSnapshotAsync(saleId, ct), mode, CancellationToken.None).ConfigureAwait(false);
            if (load == GateLoad.Loaded) await store.MarkGateLoadedAsync(saleId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not GateUnavailableException)
        {
            throw new GateUnavailableException($"sale {saleId} could not be loaded into the gate: {ex.Message}", ex);
        }
        if (load == GateLoad.StateLost)
        {
            logger.LogCritical("The gate lost sale {SaleId} together with its ledger: intents accepted but not yet persisted may be gone with it. "
                + "Purchases answer 503 until an operator rebuilds it once the order queue has drained: POST /api/admin/sales/{SaleId}/reconcile?repair=true",
                saleId, saleId);
        }
        return load;
    }
}
