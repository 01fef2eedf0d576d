using FlashSale.Core.Embedded;
using FlashSale.Core.Reconciliation;
using static FlashSale.Adapters.Tests.Purchases;

namespace FlashSale.Adapters.Tests;

/// <summary>
/// Reconciliation's view of the in-process gate: its memory as decided, the ledger's returns, and a give-back
/// of orphaned stock and quota that applies only to the state it was computed from (the embedded side of
/// return_orphaned.lua; the server tests cover the Redis one).
/// </summary>
public sealed class InProcessGateAuditTests
{
    [Fact]
    public async Task The_in_process_gate_audit_reads_its_state_and_gives_back_only_what_it_compared()
    {
        using var node = EmbeddedNode.InNewFolder("reconcile");
        var gate = node.Gate;
        var audit = new InProcessGateAudit(gate, node.Ledger);
        var sale = TestEnvironment.NewSale(stock: 5, perUserLimit: 2);
        await node.Store.CreateSaleAsync(sale, default);
        var decisions = await DecideAsync(gate, sale.Id, Request("alice", 1, "r-1"));

        var state = (await audit.ReadAsync(sale.Id, default))!;
        state.Remaining.Should().Be(4);
        state.UserTotals.Should().Equal(new Dictionary<string, long> { ["alice"] = 1 });
        state.Intents.Select(i => i.OrderId).Should().Equal(decisions[0].OrderId);
        state.Ledger.Entries.Should().Equal(decisions[0].OrderId);
        state.Returned.Should().BeEmpty();
        (await audit.ReadAsync(TestEnvironment.NewId(), default)).Should().BeNull("no such sale");

        (await audit.ReturnOrphanedAsync(sale.Id, new OrphanedDeduction(3, 1, []), default)).Should().BeFalse("the gate no longer reads 3");
        (await audit.ReturnOrphanedAsync(sale.Id, new OrphanedDeduction(4, 1, [new OrphanedQuota("alice", 2, 1)]), default)).Should().BeFalse("alice is not at 2");
        (await gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(4, "a refused give-back changes nothing");

        (await audit.ReturnOrphanedAsync(sale.Id, new OrphanedDeduction(4, 1, [new OrphanedQuota("alice", 1, 1)]), default)).Should().BeTrue();
        var after = (await audit.ReadAsync(sale.Id, default))!;
        after.Remaining.Should().Be(5);
        after.UserTotals.Should().BeEmpty();
    }
}
