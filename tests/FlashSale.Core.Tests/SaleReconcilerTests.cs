using FlashSale.Core.Orders;
using FlashSale.Core.Reconciliation;
using FlashSale.Core.Sales;

namespace FlashSale.Core.Tests;

/// <summary>
/// The reconciler's judgement of intents not in the database: lost only once the sale's pipeline has drained
/// and the intent is older than the grace; in flight otherwise. (The server tests make each kind on real stores.)
/// </summary>
public sealed class SaleReconcilerTests
{
    private const long Sale = 7;
    private const long Now = 1_000_000;
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);
    private static readonly OrderIntent Kept = new(1, Sale, "alice", 1, "r1", Now - 60_000);
    private static readonly OrderIntent Missing = new(2, Sale, "bob", 2, "r2", Now - 60_000);

    // The database holds alice's order and has bob's units as if never written: bob's intent is only in the gate.
    private static readonly StoreAuditSnapshot Db = new(10, 9,
        [new StoredOrder(1, "alice", 1, "r1", OrderStatus.PendingPayment, Now - 60_000)],
        new Dictionary<string, long> { ["alice"] = 1 });

    private static GateAuditSnapshot Gate(LedgerAuditSnapshot ledger, params OrderIntent[] intents) =>
        new(10 - intents.Sum(i => i.Quantity), intents.GroupBy(i => i.UserId).ToDictionary(g => g.Key, g => (long)g.Sum(i => i.Quantity)),
            intents, new HashSet<long>(), ledger);

    private static LedgerAuditSnapshot Ledger(long[] pending, long[] unrelayed) =>
        new(new HashSet<long> { 1, 2 }, pending.ToHashSet(), unrelayed.ToHashSet());

    [Fact]
    public void An_intent_missing_after_the_pipeline_drained_is_accepted_not_persisted()
    {
        var result = SaleReconciler.Compare(Sale, Gate(Ledger([], []), Kept, Missing), Db, new QueueAuditSnapshot(0, 0), Now, Grace);
        result.Findings.Select(f => f.Difference.Kind).Should().Equal(DifferenceKind.AcceptedNotPersisted);
        result.Findings[0].Difference.OrderIds.Should().Equal("2");
        result.InFlight.Should().Be(0);
    }

    [Theory]
    [InlineData(true, false, 0)]  // pending: delivered to a relay, not acknowledged
    [InlineData(false, true, 0)]  // not yet relayed
    [InlineData(false, false, 3)] // messages waiting in the queue
    public void An_intent_missing_while_the_pipeline_has_not_drained_is_in_flight(bool pending, bool unrelayed, long queued)
    {
        var ledger = Ledger(pending ? [2] : [], unrelayed ? [2] : []);
        var result = SaleReconciler.Compare(Sale, Gate(ledger, Kept, Missing), Db, new QueueAuditSnapshot(queued, 0), Now, Grace);
        result.Findings.Should().BeEmpty();
        result.InFlight.Should().Be(1);
    }

    [Fact]
    public void An_intent_younger_than_the_grace_is_in_flight()
    {
        var young = Missing with { AcceptedAtMs = Now - 1_000 };
        var result = SaleReconciler.Compare(Sale, Gate(Ledger([], []), Kept, young), Db, new QueueAuditSnapshot(0, 0), Now, Grace);
        result.Findings.Should().BeEmpty();
        result.InFlight.Should().Be(1);
    }

    [Fact]
    public void A_cancelled_order_gave_its_units_back_to_the_database_and_is_still_held_by_the_gate_until_returned()
    {
        // alice's order was cancelled: the database's stock and her total are back (10 and 0); the gate still counts it.
        var cancelled = new StoredOrder(1, "alice", 1, "r1", OrderStatus.Cancelled, Now - 60_000);
        var db = new StoreAuditSnapshot(10, 10, [cancelled], new Dictionary<string, long> { ["alice"] = 0 });

        var held = SaleReconciler.Compare(Sale, Gate(Ledger([], []), Kept), db, new QueueAuditSnapshot(0, 0), Now, Grace);
        var returned = SaleReconciler.Compare(Sale,
            new GateAuditSnapshot(10, new Dictionary<string, long> { ["alice"] = 0 }, [Kept], new HashSet<long> { 1 }, Ledger([], [])),
            db, new QueueAuditSnapshot(0, 0), Now, Grace);

        held.Findings.Should().BeEmpty("the gate's share is the compensation sweeper's, not a difference");
        returned.Findings.Should().BeEmpty();
        var wrongDb = SaleReconciler.Compare(Sale, Gate(Ledger([], []), Kept), db with { AvailableStock = 9 }, new QueueAuditSnapshot(0, 0), Now, Grace);
        wrongDb.Findings.Select(f => f.Difference.Kind).Should().Equal(DifferenceKind.StockMismatch);
    }
}
