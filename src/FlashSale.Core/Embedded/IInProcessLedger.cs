using FlashSale.Core.Orders;

namespace FlashSale.Core.Embedded;

/// <summary>
/// The in-process gate's durable ledger: every accepted intent is on disk before its 202 is sent, and
/// the gate's state (stock left, user totals, seen requestIds) is rebuilt from it after a restart.
/// </summary>
public interface IInProcessLedger
{
    /// <summary>Appends intents in one durable transaction (group commit).</summary>
    Task AppendAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken);

    /// <summary>Records that a failed intent's stock and quota went back; false when it already had.</summary>
    Task<bool> MarkReturnedAsync(long orderId, CancellationToken cancellationToken);

    Task<IReadOnlyList<LedgerRecord>> LoadSaleAsync(long saleId, CancellationToken cancellationToken);

    /// <summary>Accepted intents that have no order row yet: the work a crash left behind.</summary>
    Task<IReadOnlyList<OrderIntent>> LoadUnwrittenAsync(CancellationToken cancellationToken);
}

public sealed record LedgerRecord(OrderIntent Intent, bool Returned);
