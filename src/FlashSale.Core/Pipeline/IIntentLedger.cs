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
}

public sealed record LedgerEntry(string EntryId, OrderIntent Intent);

/// <summary>Puts intents on the durable order queue; returns only when the queue has confirmed every one.</summary>
public interface IOrderQueuePublisher
{
    Task PublishAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken);
}
