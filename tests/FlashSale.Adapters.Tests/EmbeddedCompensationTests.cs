using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static FlashSale.Adapters.Tests.Purchases;

namespace FlashSale.Adapters.Tests;

/// <summary>
/// Embedded mode's two steps of compensation are two SQLite transactions (the failed order row, then the
/// ledger's returned flag): a crash between them must not keep the units and the quota taken for good.
/// </summary>
public sealed class EmbeddedCompensationTests
{
    [Fact]
    public async Task A_crash_between_the_failed_row_and_the_return_is_finished_after_the_restart()
    {
        using var folder = new TempFolder("compensation");
        var path = folder.File("flashsale.db");
        var sale = TestEnvironment.NewSale(stock: 3, perUserLimit: 2);
        OrderIntent intent;
        using (var before = new EmbeddedNode(path))
        {
            await before.Store.CreateSaleAsync(sale, default);
            var decision = (await DecideAsync(before.Gate, sale.Id, Request("alice", 2, "r-1")))[0];
            decision.Outcome.Should().Be(GateOutcome.Accepted);
            intent = (await before.Gate.FindIntentAsync(decision.OrderId, default))!;
            // The writer's first step of a dead-lettered order; the process dies before the gate hears of it.
            await before.Store.MarkFailedAsync(intent, "refused", default);
        }

        using (var after = new EmbeddedNode(path))
        {
            var sweeper = new CompensationSweeper(after.Store, after.Gate, Options.Create(new PipelineOptions()), NullLogger<CompensationSweeper>.Instance);
            (await after.Gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(1, "the ledger still holds the units taken");

            var sweep = await sweeper.SweepAsync(default);

            sweep.Returned.Should().BeGreaterThanOrEqualTo(1);
            (await after.Gate.GetCountersAsync(sale.Id, default)).Should().Be(new GateSaleCounters(Remaining: 3, Accepted: 2, Returned: 2));
            (await after.Store.GetUnreturnedFailedOrdersAsync(intent.OrderId - 1, 10, default)).Should().NotContain(o => o.OrderId == intent.OrderId);
            await sweeper.SweepAsync(default);
            (await after.Gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(3, "a second sweep returns nothing twice");
            (await DecideAsync(after.Gate, sale.Id, Request("alice", 2, "r-2")))[0].Outcome.Should().Be(GateOutcome.Accepted, "alice's quota is back as well");
        }

        using var third = new EmbeddedNode(path);
        (await third.Gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(1, "the return is on disk: 3 back, then 2 sold again");
    }
}
