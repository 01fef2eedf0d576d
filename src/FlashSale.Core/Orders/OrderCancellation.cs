using FlashSale.Core.Notifications;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace FlashSale.Core.Orders;

/// <summary>
/// Cancels orders: one by the user or an admin, or a batch whose payment deadline passed (the payment timeout). The
/// store's conditional update decides (of a cancellation and a payment racing, one wins) and gives the units back to
/// the database's stock and the user's total in the same transaction; then the order's watchers hear of it and the
/// gate takes its share back, so the sold-out flag drops and the units sell again. A gate that cannot be reached
/// leaves that share owed: the compensation sweeper finishes it.
/// </summary>
public sealed class OrderCancellation(
    IFlashSaleStore store, IStockGate gate, IClosedFlags closedFlags, IOrderNotifier notifier, TimeProvider time, ILogger<OrderCancellation> logger,
    OrderMetrics? orderMetrics = null, PipelineMetrics? pipelineMetrics = null)
{
    /// <summary>Cancels <paramref name="order"/> for <paramref name="reason"/> (<see cref="CancelReason.User"/> or <see cref="CancelReason.Admin"/>).</summary>
    public async Task<CancelOutcome> CancelAsync(Order order, string reason, CancellationToken cancellationToken)
    {
        var outcome = await store.CancelAsync(order.OrderId, reason, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (outcome == CancelOutcome.Cancelled)
        {
            logger.LogInformation("Order {OrderId} of sale {SaleId} cancelled ({Reason}): {Units} units back", order.OrderId, order.SaleId, reason, order.Quantity);
            orderMetrics?.Cancelled(reason);
            await ReturnAsync([order.Intent()], cancellationToken).ConfigureAwait(false);
        }
        return outcome;
    }

    /// <summary>The payment timeout, one batch of at most <paramref name="limit"/> orders; returns how many it cancelled.</summary>
    public async Task<int> CancelDueAsync(int limit, CancellationToken cancellationToken)
    {
        var cancelled = await store.CancelDueAsync(time.GetUtcNow(), limit, cancellationToken).ConfigureAwait(false);
        if (cancelled.Count == 0) return 0;
        logger.LogInformation("Payment timeout: {Count} unpaid orders cancelled, {Units} units back", cancelled.Count, cancelled.Sum(i => (long)i.Quantity));
        orderMetrics?.Cancelled(CancelReason.Timeout, cancelled.Count);
        await ReturnAsync(cancelled, cancellationToken).ConfigureAwait(false);
        return cancelled.Count;
    }

    /// <summary>After the database took the units back: the watchers, then the gate's share, each order at once (the gate's calls pipeline).</summary>
    private async Task ReturnAsync(IReadOnlyList<OrderIntent> cancelled, CancellationToken cancellationToken)
    {
        foreach (var intent in cancelled)
        {
            await notifier.PublishAsync(OrderChanged.Of(intent, OrderStatus.Cancelled), cancellationToken).ConfigureAwait(false);
        }
        var returns = new Task<bool>[cancelled.Count];
        for (var i = 0; i < cancelled.Count; i++) returns[i] = ReturnToGateAsync(cancelled[i], cancellationToken);
        await Task.WhenAll(returns).ConfigureAwait(false);
        var back = new List<long>(cancelled.Count);
        for (var i = 0; i < cancelled.Count; i++)
        {
            if (returns[i].Result) back.Add(cancelled[i].OrderId);
        }
        try
        {
            // One write for the batch: the compensation sweeper would give nothing twice anyway, but need not look.
            await store.MarkStockReturnedAsync(back, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("{Count} cancelled orders are back in the gate, but the store cannot record it yet ({Reason}); the compensation sweeper will", back.Count, ex.Message);
        }
    }

    /// <summary>Gives the gate its share; false when it cannot be reached now (the sweeper retries).</summary>
    private async Task<bool> ReturnToGateAsync(OrderIntent intent, CancellationToken cancellationToken)
    {
        try
        {
            if (await gate.ReturnAsync(intent, cancellationToken).ConfigureAwait(false)) pipelineMetrics?.Returned(intent.Quantity, PipelineMetrics.CancelledOrder);
            closedFlags.ClearSoldOut(intent.SaleId); // this process sells the units again at once; the others when their flag expires
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogWarning("Cancelled order {OrderId}: its units cannot go back to the gate yet ({Reason}); the compensation sweeper retries", intent.OrderId, ex.Message);
            return false;
        }
    }
}
