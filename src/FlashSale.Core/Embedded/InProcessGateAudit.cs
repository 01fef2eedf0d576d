using FlashSale.Core.Reconciliation;

namespace FlashSale.Core.Embedded;

/// <summary>
/// Reconciliation's view of the in-process gate: its state in memory, and which intents the ledger marks
/// as given back. The ledger has no relay: nothing is ever pending or unrelayed, the in-process queue is
/// the only way in flight.
/// </summary>
public sealed class InProcessGateAudit(InProcessStockGate gate, IInProcessLedger ledger) : IGateAudit
{
    public async Task<GateAuditSnapshot?> ReadAsync(long saleId, CancellationToken cancellationToken)
    {
        // The ledger first: a return is recorded before memory changes, so memory can only be ahead of it,
        // which shows as more stock than expected (reported), never as stock to give back twice.
        var recorded = await ledger.LoadSaleAsync(saleId, cancellationToken).ConfigureAwait(false);
        if (await gate.ReadStateAsync(saleId, cancellationToken).ConfigureAwait(false) is not { } state) return null;
        var returned = recorded.Where(j => j.Returned).Select(j => j.Intent.OrderId).ToHashSet();
        return new GateAuditSnapshot(state.Remaining, state.Users, state.Intents, returned,
            new LedgerAuditSnapshot(recorded.Select(j => j.Intent.OrderId).ToHashSet(), new HashSet<long>(), new HashSet<long>()));
    }

    public Task<bool> ReturnOrphanedAsync(long saleId, OrphanedDeduction deduction, CancellationToken cancellationToken) =>
        gate.ReturnOrphanedAsync(saleId, deduction, cancellationToken);
}

/// <summary>
/// The in-process queue's depth where the channel can count it (its single-reader form cannot: then only the
/// in-flight grace tells a queued intent from a lost one); it has no dead letters (a failed order is in the database).
/// </summary>
public sealed class InProcessQueueAudit(InProcessOrderQueue queue) : IQueueAudit
{
    public Task<QueueAuditSnapshot> ReadAsync(CancellationToken cancellationToken) =>
        Task.FromResult(new QueueAuditSnapshot(queue.Reader.CanCount ? queue.Reader.Count : 0, 0));
}
