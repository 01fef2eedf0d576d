using FlashSale.Core.Payments;
using FlashSale.Core.Sales;

namespace FlashSale.Core.Orders;

/// <summary>The system of record: sales, orders and per-user totals.</summary>
public interface IFlashSaleStore
{
    Task MigrateAsync(CancellationToken cancellationToken);

    Task CreateSaleAsync(Sale sale, CancellationToken cancellationToken);

    Task<Sale?> FindSaleAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>What the gate is rebuilt from: the sale, every order of it, and whether a gate has held it before.</summary>
    Task<SaleStockSnapshot?> GetStockSnapshotAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>Records that the gate holds the sale (see <see cref="SaleStockSnapshot.GateLoaded"/>); idempotent.</summary>
    Task MarkGateLoadedAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a batch of intents in one transaction: orders inserted idempotently (by order id), stock
    /// deducted only where enough is available, per-user totals checked against the limit again.
    /// Throws <see cref="OrderBatchRejectedException"/> when the database refuses the batch (nothing written),
    /// also when an order id already stands for an order with other content (an id collision, never a redelivery).
    /// </summary>
    Task WriteOrdersAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken);

    /// <summary>Records an intent that could not be written as a failed order (no stock, no quota).
    /// Throws <see cref="OrderBatchRejectedException"/> when even that is refused (say, its sale does not exist, or its id is another order's).</summary>
    Task MarkFailedAsync(OrderIntent intent, string reason, CancellationToken cancellationToken);

    /// <summary>Failed orders whose stock and quota are not yet recorded as back in the gate, by order id after
    /// <paramref name="afterOrderId"/>, at most <paramref name="limit"/>: the compensation sweeper's work.</summary>
    Task<IReadOnlyList<OrderIntent>> GetUnreturnedFailedOrdersAsync(long afterOrderId, int limit, CancellationToken cancellationToken);

    /// <summary>Cancelled orders whose stock and quota the gate has not taken back yet (the database's share went back
    /// with the cancellation), by order id after <paramref name="afterOrderId"/>, at most <paramref name="limit"/>.
    /// A sibling of <see cref="GetUnreturnedFailedOrdersAsync"/>; <see cref="MarkStockReturnedAsync"/> closes both.</summary>
    Task<IReadOnlyList<OrderIntent>> GetUnreturnedCancelledOrdersAsync(long afterOrderId, int limit, CancellationToken cancellationToken);

    /// <summary>Records that these failed or cancelled orders' stock and quota are back in the gate, in one write
    /// (idempotent; other orders are left alone).</summary>
    Task MarkStockReturnedAsync(IReadOnlyList<long> orderIds, CancellationToken cancellationToken);

    /// <summary>
    /// Records a succeeded payment, in one transaction. Idempotent by payment id: the same payment again changes
    /// nothing and answers the first outcome. A payment whose amount or currency is not the order's is refused and
    /// nothing is written. Otherwise the payment pays the order if it is <c>pending_payment</c> (one conditional
    /// update; the status alone decides, not the deadline: a payment that lands before the timeout's cancellation
    /// wins, one that lands after it loses); an order that cannot take it (cancelled, failed, paid by another payment)
    /// stays as it is and records the payment as <c>refund_pending</c>.
    /// </summary>
    Task<PaymentRecording> RecordPaymentAsync(PaymentReceipt payment, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels a <c>pending_payment</c> order (one conditional update; a <see cref="CancelReason.Timeout"/> only once its
    /// payment deadline is at or before <paramref name="now"/>), giving its units back to the sale's stock and its
    /// quantity back to the user's total in the same transaction. The gate's share stays owed
    /// (<see cref="GetUnreturnedCancelledOrdersAsync"/>). Anything else changes nothing and says why.
    /// </summary>
    Task<CancelOutcome> CancelAsync(long orderId, string reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// The payment timeout, one batch: cancels (reason <see cref="CancelReason.Timeout"/>) up to <paramref name="limit"/> pending
    /// orders whose payment deadline is at or before <paramref name="now"/>, earliest deadline first, each exactly as
    /// <see cref="CancelAsync"/> would (units back to the stock, quantity back to the user's total, in the same transaction;
    /// the gate's share owed). Returns the orders it cancelled; an order a payment took first is not among them. Several
    /// callers may sweep at once: each order is cancelled by one of them.
    /// </summary>
    Task<IReadOnlyList<OrderIntent>> CancelDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Records a failed payment of an order, once per payment id (the order stays as it is; its next payment attempt
    /// counts it, <see cref="Order.FailedPayments"/>). False when the payment id was recorded before or the order is unknown.</summary>
    Task<bool> RecordFailedPaymentAsync(PaymentEvent failed, string provider, DateTimeOffset receivedAt, CancellationToken cancellationToken);

    /// <summary>Payments recorded as owed back (<see cref="PaymentRecordStatus.RefundPending"/>), by payment id after
    /// <paramref name="afterPaymentId"/> (ordinal), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<OwedRefund>> GetPendingRefundsAsync(string afterPaymentId, int limit, CancellationToken cancellationToken);

    /// <summary>Records that the provider gave payment <paramref name="paymentId"/> back; its order's refund is
    /// <see cref="OrderRefundStatus.Refunded"/> once none of its payments is still owed. Idempotent.</summary>
    Task MarkRefundedAsync(string paymentId, CancellationToken cancellationToken);

    Task<Order?> FindOrderAsync(long orderId, CancellationToken cancellationToken);

    /// <summary>Which of these order ids have a row (any status): what the ledger may forget.</summary>
    Task<IReadOnlySet<long>> FindPersistedAsync(IReadOnlyList<long> orderIds, CancellationToken cancellationToken);

    Task<IReadOnlyList<Order>> GetUserOrdersAsync(long saleId, string userId, CancellationToken cancellationToken);

    Task<StoreSaleCounters> GetCountersAsync(long saleId, CancellationToken cancellationToken);

    Task<bool> IsReadyAsync(CancellationToken cancellationToken);
}

/// <param name="FirstAcceptedAt">When the sale's first order was accepted; with <paramref name="LastPersistedAt"/> the persistence window.</param>
public sealed record StoreSaleCounters(long AvailableStock, long PersistedUnits, IReadOnlyDictionary<string, long> OrdersByStatus,
    DateTimeOffset? FirstAcceptedAt = null, DateTimeOffset? LastPersistedAt = null)
{
    /// <summary>Orders with money owed back, by refund status (<see cref="OrderRefundStatus"/>).</summary>
    public IReadOnlyDictionary<string, long> OrdersByRefund { get; init; } = new Dictionary<string, long>();
}

/// <summary>The database refused a batch (guard or constraint): the batch wrote nothing.</summary>
public sealed class OrderBatchRejectedException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>An order id of the batch already stands for a different order (sale, user, quantity or requestId):
    /// two processes minted the same id. Never merged, never dropped silently: refused and logged as an error.</summary>
    public bool IsOrderIdCollision { get; init; }

    public static OrderBatchRejectedException Collision(long orderId) =>
        new($"order id collision: order {orderId} already exists with a different sale, user, quantity or requestId " +
            "(two processes shared a worker id?); the intent is refused, the stored order is left as it is") { IsOrderIdCollision = true };
}
