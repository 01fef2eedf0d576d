using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using FlashSale.Postgres;
using FlashSale.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static FlashSale.Adapters.Tests.Purchases;

namespace FlashSale.Adapters.Tests;

/// <summary>The ledger keeps what is still on its way to the database, and no more: on real Redis and PostgreSQL.</summary>
public sealed class LedgerTrimTests : IDisposable
{
    // Database 2: out of sight of any FlashSale process's relay (database 0) and of the gate contract's sales (1).
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(TestEnvironment.Redis + ",defaultDatabase=2");
    private readonly Npgsql.NpgsqlDataSource _dataSource = Npgsql.NpgsqlDataSource.Create(TestEnvironment.Postgres);
    private readonly PostgresFlashSaleStore _store;

    public LedgerTrimTests()
    {
        _store = new PostgresFlashSaleStore(_dataSource, NullLogger<PostgresFlashSaleStore>.Instance);
        _store.MigrateAsync(default).GetAwaiter().GetResult();
    }

    public void Dispose()
    {
        _redis.Dispose();
        _dataSource.Dispose();
    }

    [Fact]
    public async Task Persisted_entries_are_trimmed_the_rest_kept_and_an_ended_sale_is_retired_once_empty()
    {
        var sale = TestEnvironment.NewSale(stock: 10, perUserLimit: 2, lasts: TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(6));
        await _store.CreateSaleAsync(sale, default);
        var gate = new RedisStockGate(new RedisConnection(_redis));
        await gate.LoadSaleAsync(sale.Id, ct => _store.GetStockSnapshotAsync(sale.Id, ct), GateLoadMode.Normal, default);
        PurchaseRequest[] requests = [Request("a"), Request("b"), Request("c")];
        await DecideAsync(gate, sale.Id, requests);
        // Accepted now: an order accepted at 1970 would be long past its payment deadline for the store contract's timeout
        // sweeps, which run beside this test on the same database.
        var acceptedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var intents = requests.Select(r => new OrderIntent(r.CandidateOrderId, sale.Id, r.UserId, r.Quantity, r.RequestId, acceptedAt)).ToArray();
        var ledger = new RedisIntentLedger(new RedisConnection(_redis), watchAfterEnd: TimeSpan.Zero);
        var trimmer = new LedgerTrimmer(ledger, _store, Options.Create(new PipelineOptions { LedgerTrimBatchSize = 2 }), NullLogger<LedgerTrimmer>.Instance);
        var stream = RedisKeys.For(sale.Id).Ledger;

        await _store.WriteOrdersAsync([intents[0], intents[2]], default);
        await trimmer.TrimOnceAsync(default);
        (await Ledger(stream)).Should().Equal([intents[1].OrderId], "only b's order is not in the database yet");
        (await ledger.TryRetireAsync(sale.Id, default)).Should().BeFalse("the sale is on");

        await _store.WriteOrdersAsync([intents[1]], default);
        await trimmer.TrimOnceAsync(default);
        (await Ledger(stream)).Should().BeEmpty();
        (await _redis.GetDatabase().KeyExistsAsync(stream)).Should().BeTrue("an empty ledger of a live sale says the gate's state is whole");

        await Task.Delay(sale.EndsAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300));
        await trimmer.TrimOnceAsync(default);
        (await _redis.GetDatabase().KeyExistsAsync(stream)).Should().BeFalse("ended and every intent persisted: nothing left to keep");
        (await ledger.GetWatchedSalesAsync(default)).Should().NotContain(sale.Id);
    }

    [Fact]
    public async Task The_unrelayed_count_is_what_no_relay_was_handed_yet_also_after_entries_were_deleted()
    {
        var sale = TestEnvironment.NewSale(stock: 10, perUserLimit: 2);
        await _store.CreateSaleAsync(sale, default);
        var gate = new RedisStockGate(new RedisConnection(_redis));
        await gate.LoadSaleAsync(sale.Id, ct => _store.GetStockSnapshotAsync(sale.Id, ct), GateLoadMode.Normal, default);
        var ledger = new RedisIntentLedger(new RedisConnection(_redis));
        (await ledger.CountUnrelayedAsync(sale.Id, default)).Should().Be(0);

        await DecideAsync(gate, sale.Id, [Request("a"), Request("b"), Request("c"), Request("d")]);
        (await ledger.CountUnrelayedAsync(sale.Id, default)).Should().Be(4);
        var read = await ledger.ReadAsync(sale.Id, "relay-1", 3, default);
        read.Should().HaveCount(3);
        (await ledger.CountUnrelayedAsync(sale.Id, default)).Should().Be(1, "three were handed to a relay, acknowledged or not");

        // Deleting an entry no relay had yet (an order persisted by a repair, say) leaves Redis unable to tell the
        // lag itself: the entries after the group's last delivered one are counted instead, up to the cap.
        var all = await ledger.PeekAsync(sale.Id, null, 10, default);
        await ledger.TrimAsync(sale.Id, [all[^1]], default);
        (await ledger.CountUnrelayedAsync(sale.Id, default)).Should().Be(0);
        await DecideAsync(gate, sale.Id, [Request("e"), Request("f"), Request("g")]);
        (await ledger.CountUnrelayedAsync(sale.Id, default)).Should().Be(3);
        (await ledger.CountUnrelayedAsync(sale.Id, default, cap: 2)).Should().Be(2, "counted one by one only up to the cap");
    }

    private async Task<long[]> Ledger(string stream) =>
        RedisIntentLedgerEntries(await _redis.GetDatabase().ExecuteAsync("XRANGE", stream, "-", "+"));

    private static long[] RedisIntentLedgerEntries(RedisResult range) =>
        ((RedisResult[])range!).Select(e => ((RedisValue[])((RedisResult[])e!)[1]!)).Select(f => long.Parse((string)f[Array.IndexOf(f, (RedisValue)"o") + 1]!)).ToArray();
}

/// <summary>The in-process gate keeps an ended sale in memory only briefly; its ledger rebuilds it on demand.</summary>
public sealed class InProcessGateMemoryTests
{
    [Fact]
    public async Task An_ended_sale_leaves_memory_and_comes_back_whole_from_the_ledger()
    {
        var time = new MovableTime();
        using var node = EmbeddedNode.InNewFolder("evict", time);
        var gate = node.Gate;
        var sale = TestEnvironment.NewSale(stock: 10, perUserLimit: 2, startsIn: TimeSpan.FromMinutes(-1), lasts: TimeSpan.FromMinutes(2));
        await node.Store.CreateSaleAsync(sale, default);
        await DecideAsync(gate, sale.Id, new("a", "r1", 2, 1), new("b", "r2", 1, 2));
        var before = await gate.GetCountersAsync(sale.Id, default);

        time.Advance(TimeSpan.FromMinutes(1));
        gate.EvictEndedSales();
        gate.SalesHeld.Should().Be(1, "the sale is still on");

        time.Advance(TimeSpan.FromMinutes(2) + FlashSale.Core.Embedded.InProcessStockGate.KeepAfterEnd);
        gate.EvictEndedSales();
        gate.SalesHeld.Should().Be(0, "ended a while ago: its state leaves memory");

        (await gate.GetCountersAsync(sale.Id, default)).Should().Be(before, "and comes back the same from the ledger");
        (await gate.GetAcceptedRequestsAsync(sale.Id, default)).Should().HaveCount(2);
    }

    private sealed class MovableTime : TimeProvider
    {
        private long _ticks = DateTimeOffset.UtcNow.UtcTicks;
        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
