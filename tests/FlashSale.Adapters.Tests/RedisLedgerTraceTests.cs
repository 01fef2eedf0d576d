using System.Diagnostics;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using FlashSale.Redis;
using StackExchange.Redis;
using static FlashSale.Adapters.Tests.Purchases;

namespace FlashSale.Adapters.Tests;

/// <summary>The Redis ledger keeps a traced purchase's context with its intent, for the relay to link to; nothing for any other.</summary>
public sealed class RedisLedgerTraceTests : IDisposable
{
    // Database 1: out of sight of any FlashSale process's relay (database 0).
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(TestEnvironment.Redis + ",defaultDatabase=1");

    public void Dispose() => _redis.Dispose();

    [Fact]
    public async Task A_traced_purchase_leaves_its_traceparent_in_the_ledger_and_an_untraced_one_nothing()
    {
        var sale = TestEnvironment.NewSale(stock: 5, perUserLimit: 1);
        var connection = new RedisConnection(_redis);
        var gate = new RedisStockGate(connection);
        await gate.LoadSaleAsync(sale.Id, _ => Task.FromResult<SaleStockSnapshot?>(SaleStockSnapshot.Empty(sale)), GateLoadMode.Normal, default);
        using var purchase = new Activity(PurchaseTracing.Admission) { ActivityTraceFlags = ActivityTraceFlags.Recorded }.SetIdFormat(ActivityIdFormat.W3C).Start();
        purchase.Stop();

        // One batch with a traced and an untraced purchase, then a batch with no traced one (sent as it always was).
        (await DecideAsync(gate, sale.Id, Request("traced") with { Span = purchase }, Request("untraced")))
            .Should().OnlyContain(d => d.Outcome == GateOutcome.Accepted);
        (await DecideAsync(gate, sale.Id, Request("plain"))).Single().Outcome.Should().Be(GateOutcome.Accepted);

        var entries = await new RedisIntentLedger(connection).PeekAsync(sale.Id, null, 10, default);
        var traced = entries.Single(e => e.Intent.UserId == "traced");
        traced.TraceParent.Should().Be(PipelineTracing.TraceParent(purchase.Context)).And.Be($"00-{purchase.TraceId}-{purchase.SpanId}-01");
        ActivityContext.TryParse(traced.TraceParent, null, isRemote: true, out var kept).Should().BeTrue();
        (kept.TraceId, kept.SpanId).Should().Be((purchase.TraceId, purchase.SpanId));
        entries.Single(e => e.Intent.UserId == "untraced").TraceParent.Should().BeNull();
        entries.Single(e => e.Intent.UserId == "plain").TraceParent.Should().BeNull();
    }
}
