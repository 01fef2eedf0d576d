using FlashSale.Core.Embedded;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlashSale.Adapters.Tests;

/// <summary>
/// Embedded mode's two steps of compensation are two SQLite transactions (the failed order row, then the
/// ledger's returned flag): a crash between them must not keep the units and the quota taken for good.
/// </summary>
public sealed class EmbeddedCompensationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flashsale-compensation-").FullName;

    private sealed class Process : IDisposable
    {
        public Process(string path)
        {
            Database = new SqliteDatabase(path);
            Database.Open();
            Store = new SqliteFlashSaleStore(Database, TimeProvider.System);
            Gate = new InProcessStockGate(Store, new SqliteInProcessLedger(Database), new InProcessOrderQueue(), TimeProvider.System);
            Sweeper = new CompensationSweeper(Store, Gate, Options.Create(new PipelineOptions()), NullLogger<CompensationSweeper>.Instance);
        }

        public SqliteDatabase Database { get; }
        public SqliteFlashSaleStore Store { get; }
        public InProcessStockGate Gate { get; }
        public CompensationSweeper Sweeper { get; }

        public void Dispose() => Database.Dispose();
    }

    [Fact]
    public async Task A_crash_between_the_failed_row_and_the_return_is_finished_after_the_restart()
    {
        var path = Path.Combine(_dir, "flashsale.db");
        var sale = TestEnvironment.NewSale(stock: 3, perUserLimit: 2);
        OrderIntent intent;
        using (var before = new Process(path))
        {
            await before.Store.CreateSaleAsync(sale, default);
            var decisions = new GateDecision[1];
            await before.Gate.DecideAsync(sale.Id, new[] { new PurchaseRequest("alice", "r-1", 2, TestEnvironment.NewId()) }, decisions, default);
            decisions[0].Outcome.Should().Be(GateOutcome.Accepted);
            intent = (await before.Gate.FindIntentAsync(decisions[0].OrderId, default))!;
            // The writer's first step of a dead-lettered order; the process dies before the gate hears of it.
            await before.Store.MarkFailedAsync(intent, "refused", default);
        }

        using (var after = new Process(path))
        {
            (await after.Gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(1, "the ledger still holds the units taken");

            var sweep = await after.Sweeper.SweepAsync(default);

            sweep.Returned.Should().BeGreaterThanOrEqualTo(1);
            (await after.Gate.GetCountersAsync(sale.Id, default)).Should().Be(new GateSaleCounters(Remaining: 3, Accepted: 2, Failed: 2));
            (await after.Store.GetUnreturnedFailedOrdersAsync(intent.OrderId - 1, 10, default)).Should().NotContain(o => o.OrderId == intent.OrderId);
            await after.Sweeper.SweepAsync(default);
            (await after.Gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(3, "a second sweep returns nothing twice");
            var again = new GateDecision[1];
            await after.Gate.DecideAsync(sale.Id, new[] { new PurchaseRequest("alice", "r-2", 2, TestEnvironment.NewId()) }, again, default);
            again[0].Outcome.Should().Be(GateOutcome.Accepted, "alice's quota is back as well");
        }

        using var third = new Process(path);
        (await third.Gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(1, "the return is on disk: 3 back, then 2 sold again");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
