using FlashSale.Core.Orders;

namespace FlashSale.Core.Pipeline;

/// <summary>The gate's record of winners, read by the relay at least once.</summary>
public interface IIntentLedger
{
    /// <summary>Sales whose ledgers the relay should watch.</summary>
    Task<IReadOnlyList<long>> GetWatchedSalesAsync(CancellationToken cancellationToken);

    /// <summary>Entries not yet acknowledged: first ones a crashed reader left behind, then new ones.</summary>
    Task<IReadOnlyList<LedgerEntry>> ReadAsync(long saleId, string readerName, int maxCount, CancellationToken cancellationToken);

    Task AcknowledgeAsync(long saleId, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken);

    /// <summary>Entries still in the ledger, relayed or not, oldest first, after <paramref name="afterEntryId"/> (null: from the start).</summary>
    Task<IReadOnlyList<LedgerEntry>> PeekAsync(long saleId, string? afterEntryId, int maxCount, CancellationToken cancellationToken);

    /// <summary>Removes entries whose orders the database holds: they are needed for nothing any more.</summary>
    Task TrimAsync(long saleId, IReadOnlyList<LedgerEntry> persisted, CancellationToken cancellationToken);

    /// <summary>Stops watching a sale that has ended and whose ledger is empty (every intent persisted) and drops
    /// the ledger; false while anything is left.</summary>
    Task<bool> TryRetireAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>How many entries no relay has been handed yet (the relay's backlog), counted up to <paramref name="cap"/>.</summary>
    Task<long> CountUnrelayedAsync(long saleId, CancellationToken cancellationToken, int cap = 10_000);
}

/// <param name="TraceParent">The W3C <c>traceparent</c> of the purchase that made the intent, when the gate kept one (it was
/// traced): the relay's span links to it.</param>
public sealed record LedgerEntry(string EntryId, OrderIntent Intent, string? TraceParent = null);

/// <summary>Puts intents on the durable order queue; returns only when the queue has confirmed every one.</summary>
public interface IOrderQueuePublisher
{
    Task PublishAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken);
}
