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
    /// Throws <see cref="OrderBatchRejectedException"/> when the database refuses the batch (nothing written).
    /// </summary>
    Task WriteOrdersAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken);

    /// <summary>Records an intent that could not be written as a failed order (no stock, no quota).
    /// Throws <see cref="OrderBatchRejectedException"/> when even that is refused (say, its sale does not exist).</summary>
    Task MarkFailedAsync(OrderIntent intent, string reason, CancellationToken cancellationToken);

    Task<Order?> FindOrderAsync(long orderId, CancellationToken cancellationToken);

    Task<IReadOnlyList<Order>> GetUserOrdersAsync(long saleId, string userId, CancellationToken cancellationToken);

    Task<StoreSaleCounters> GetCountersAsync(long saleId, CancellationToken cancellationToken);

    Task<bool> IsReadyAsync(CancellationToken cancellationToken);
}

/// <param name="FirstAcceptedAt">When the sale's first order was accepted; with <paramref name="LastPersistedAt"/> the persistence window.</param>
public sealed record StoreSaleCounters(long AvailableStock, long PersistedUnits, IReadOnlyDictionary<string, long> OrdersByStatus,
    DateTimeOffset? FirstAcceptedAt = null, DateTimeOffset? LastPersistedAt = null);

/// <summary>The database refused a batch (guard or constraint): the batch wrote nothing.</summary>
public sealed class OrderBatchRejectedException(string message, Exception? inner = null) : Exception(message, inner);
