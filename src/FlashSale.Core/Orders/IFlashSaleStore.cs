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

    /// <summary>Records that a failed order's stock and quota are back in the gate (idempotent; other orders are left alone).</summary>
    Task MarkStockReturnedAsync(long orderId, CancellationToken cancellationToken);

    Task<Order?> FindOrderAsync(long orderId, CancellationToken cancellationToken);

    /// <summary>Which of these order ids have a row (any status): what the ledger may forget.</summary>
    Task<IReadOnlySet<long>> FindPersistedAsync(IReadOnlyList<long> orderIds, CancellationToken cancellationToken);

    Task<IReadOnlyList<Order>> GetUserOrdersAsync(long saleId, string userId, CancellationToken cancellationToken);

    Task<StoreSaleCounters> GetCountersAsync(long saleId, CancellationToken cancellationToken);

    Task<bool> IsReadyAsync(CancellationToken cancellationToken);
}

/// <param name="FirstAcceptedAt">When the sale's first order was accepted; with <paramref name="LastPersistedAt"/> the persistence window.</param>
public sealed record StoreSaleCounters(long AvailableStock, long PersistedUnits, IReadOnlyDictionary<string, long> OrdersByStatus,
    DateTimeOffset? FirstAcceptedAt = null, DateTimeOffset? LastPersistedAt = null);

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
