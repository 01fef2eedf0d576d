using FlashSale.Core.Orders;

using FlashSale.Core.Sales;

namespace FlashSale.Core.Reconciliation;

/// <summary>Read-only view of the stock gate of one sale (and of its ledger, read in the same step where the gate keeps one).</summary>
public interface IGateAudit
{
    /// <summary>The gate's state of the sale, or null when the gate does not hold it.</summary>
    Task<GateAuditSnapshot?> ReadAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>
    /// Gives back stock and quota deducted with no intent behind them, only if the gate still holds exactly
    /// the values <paramref name="deduction"/> was computed from (no decision in between); false otherwise.
    /// </summary>
    Task<bool> ReturnOrphanedAsync(long saleId, OrphanedDeduction deduction, CancellationToken cancellationToken);
}

/// <summary>Read-only view of the system of record.</summary>
public interface IStoreAudit
{
    /// <summary>The sale's orders, available stock and user totals, read in one consistent snapshot; null when no such sale.</summary>
    Task<StoreAuditSnapshot?> ReadAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>Sales whose window ends after <paramref name="since"/>: the ones the periodic run looks at.</summary>
    Task<IReadOnlyList<long>> SalesEndingAfterAsync(DateTimeOffset since, CancellationToken cancellationToken);
}

/// <summary>Read-only view of the order queue (shared by every sale).</summary>
public interface IQueueAudit
{
    Task<QueueAuditSnapshot> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>The last report per sale.</summary>
public interface IReconciliationReports
{
    Task SaveAsync(ReconciliationReport report, CancellationToken cancellationToken);

    Task<ReconciliationReport?> FindAsync(long saleId, CancellationToken cancellationToken);
}

/// <param name="Remaining">Units the gate can still sell.</param>
/// <param name="UserTotals">Units the gate counts against each user's limit.</param>
/// <param name="Intents">Every intent the gate accepted (returned ones included).</param>
/// <param name="Returned">Order ids whose stock and quota went back to the gate.</param>
/// <param name="Ledger">Where the ledger stands, for telling in-flight intents from lost ones.</param>
public sealed record GateAuditSnapshot(
    long Remaining,
    IReadOnlyDictionary<string, long> UserTotals,
    IReadOnlyList<OrderIntent> Intents,
    IReadOnlySet<long> Returned,
    LedgerAuditSnapshot Ledger);

/// <param name="Entries">Order ids of every entry in the ledger.</param>
/// <param name="Pending">Delivered to a relay, not yet acknowledged.</param>
/// <param name="Unrelayed">Not yet delivered to any relay.</param>
public sealed record LedgerAuditSnapshot(IReadOnlySet<long> Entries, IReadOnlySet<long> Pending, IReadOnlySet<long> Unrelayed)
{
    public static readonly LedgerAuditSnapshot None = new(new HashSet<long>(), new HashSet<long>(), new HashSet<long>());
}

/// <param name="EndsAtMs">The sale's end (Unix ms): a gate that does not hold a sale still on is a difference.</param>
public sealed record StoreAuditSnapshot(int Stock, long AvailableStock, IReadOnlyList<StoredOrder> Orders, IReadOnlyDictionary<string, long> UserTotals, long EndsAtMs = long.MaxValue);

/// <param name="Depth">Messages waiting to be written (all sales).</param>
/// <param name="DeadLetters">Messages in the dead-letter queue (all sales).</param>
public sealed record QueueAuditSnapshot(long Depth, long DeadLetters);

/// <summary>
/// Units to give back: <paramref name="Units"/> to the stock, and per user the quota in <paramref name="Users"/>;
/// applied only while the gate still reads <paramref name="ExpectedRemaining"/> and the users' totals in <paramref name="Users"/>.
/// </summary>
public sealed record OrphanedDeduction(long ExpectedRemaining, long Units, IReadOnlyList<OrphanedQuota> Users);

public sealed record OrphanedQuota(string UserId, long ExpectedTotal, long Units);
