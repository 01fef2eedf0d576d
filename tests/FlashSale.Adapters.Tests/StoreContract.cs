using FlashSale.Core.Orders;
using FlashSale.Core.Sales;

namespace FlashSale.Adapters.Tests;

/// <summary>
/// The system of record's contract (design §4), written once and run against every store: idempotent
/// writes, the guarded stock update, the per-user limit checked again, failed orders.
/// </summary>
public abstract class StoreContract
{
    protected abstract IFlashSaleStore Store { get; }

    private async Task<Sale> NewSaleAsync(int stock, int perUserLimit)
    {
        var sale = TestEnvironment.NewSale(stock, perUserLimit);
        await Store.CreateSaleAsync(sale, default);
        return sale;
    }

    private static OrderIntent Intent(Sale sale, string user, int quantity) =>
        new(TestEnvironment.NewId(), sale.Id, user, quantity, Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    [Fact]
    public async Task A_sale_reads_back_as_it_was_written()
    {
        var sale = await NewSaleAsync(stock: 7, perUserLimit: 2);

        var found = await Store.FindSaleAsync(sale.Id, default);

        found.Should().NotBeNull();
        found!.Price.Should().Be(10.50m);
        found.Should().BeEquivalentTo(sale, o => o
            .Using<DateTimeOffset>(c => c.Subject.Should().BeCloseTo(c.Expectation, TimeSpan.FromMilliseconds(1))).WhenTypeIs<DateTimeOffset>());
        (await Store.FindSaleAsync(TestEnvironment.NewId(), default)).Should().BeNull();
    }

    [Fact]
    public async Task Writing_the_same_intents_twice_writes_them_once()
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit: 2);
        var batch = new[] { Intent(sale, "a", 2), Intent(sale, "b", 1) };

        await Store.WriteOrdersAsync(batch, default);
        await Store.WriteOrdersAsync(batch, default);
        await Store.WriteOrdersAsync([batch[0], batch[0]], default);

        var counters = await Store.GetCountersAsync(sale.Id, default);
        counters.AvailableStock.Should().Be(7);
        counters.PersistedUnits.Should().Be(3);
        counters.OrdersByStatus.Should().BeEquivalentTo(new Dictionary<string, long> { ["pending_payment"] = 2 });
        var snapshot = await Store.GetStockSnapshotAsync(sale.Id, default);
        snapshot!.AvailableStock.Should().Be(7);
        snapshot.UserTotals.Should().BeEquivalentTo(new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 });
        (await Store.GetUserOrdersAsync(sale.Id, "a", default)).Should().ContainSingle()
            .Which.Should().Match<Order>(o => o.OrderId == batch[0].OrderId && o.Quantity == 2 && o.Status == OrderStatus.PendingPayment);
    }

    [Fact]
    public async Task A_second_order_for_the_same_request_is_refused()
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit: 5);
        var first = Intent(sale, "a", 1);
        var second = first with { OrderId = TestEnvironment.NewId() };
        await Store.WriteOrdersAsync([first], default);

        var act = () => Store.WriteOrdersAsync([second], default);

        await act.Should().ThrowAsync<OrderBatchRejectedException>("one (sale, user, requestId) is one purchase");
        (await Store.GetUserOrdersAsync(sale.Id, "a", default)).Should().ContainSingle().Which.OrderId.Should().Be(first.OrderId);
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(9);
    }

    [Fact]
    public async Task An_order_id_that_stands_for_another_order_is_refused_and_the_first_order_kept()
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit: 5);
        var other = await NewSaleAsync(stock: 10, perUserLimit: 5);
        var first = Intent(sale, "a", 2);
        await Store.WriteOrdersAsync([first], default);
        await Store.WriteOrdersAsync([first], default); // the same intent again: a redelivery, one order

        var collisions = new[]
        {
            first with { UserId = "b", RequestId = "other" },
            first with { Quantity = 1 },
            first with { RequestId = "other" },
            Intent(other, "a", 1) with { OrderId = first.OrderId }, // the same id in another sale
        };
        foreach (var collision in collisions)
        {
            var write = () => Store.WriteOrdersAsync([Intent(sale, "c", 1), collision], default);
            var fail = () => Store.MarkFailedAsync(collision, "refused", default);
            (await write.Should().ThrowAsync<OrderBatchRejectedException>()).Which.IsOrderIdCollision.Should().BeTrue();
            (await fail.Should().ThrowAsync<OrderBatchRejectedException>("a failed row cannot take the id either")).Which.IsOrderIdCollision.Should().BeTrue();
        }

        (await Store.FindOrderAsync(first.OrderId, default)).Should().Match<Order>(o =>
            o.SaleId == sale.Id && o.UserId == "a" && o.Quantity == 2 && o.RequestId == first.RequestId && o.Status == OrderStatus.PendingPayment);
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(8, "nothing of the refused batches was written");
        (await Store.GetCountersAsync(other.Id, default)).AvailableStock.Should().Be(10);
        (await Store.GetUserOrdersAsync(sale.Id, "c", default)).Should().BeEmpty();
        await Store.MarkFailedAsync(first, "late", default); // its own id: no collision, and the order stays as it is
        (await Store.FindOrderAsync(first.OrderId, default))!.Status.Should().Be(OrderStatus.PendingPayment);
    }

    [Fact]
    public async Task A_batch_that_would_oversell_is_refused_whole()
    {
        var sale = await NewSaleAsync(stock: 3, perUserLimit: 5);
        await Store.WriteOrdersAsync([Intent(sale, "a", 2)], default);

        var act = () => Store.WriteOrdersAsync([Intent(sale, "b", 1), Intent(sale, "c", 1)], default);

        await act.Should().ThrowAsync<OrderBatchRejectedException>();
        var counters = await Store.GetCountersAsync(sale.Id, default);
        counters.AvailableStock.Should().Be(1, "nothing of the refused batch was written");
        counters.PersistedUnits.Should().Be(2);
        (await Store.GetUserOrdersAsync(sale.Id, "b", default)).Should().BeEmpty();
    }

    [Fact]
    public async Task The_per_user_limit_is_checked_again()
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit: 2);
        await Store.WriteOrdersAsync([Intent(sale, "a", 1)], default);

        var act = () => Store.WriteOrdersAsync([Intent(sale, "a", 2)], default);
        var together = () => Store.WriteOrdersAsync([Intent(sale, "b", 1), Intent(sale, "b", 2)], default);

        await act.Should().ThrowAsync<OrderBatchRejectedException>();
        await together.Should().ThrowAsync<OrderBatchRejectedException>("one batch may not sneak a user past the limit either");
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(9);
    }

    [Fact]
    public async Task A_failed_order_takes_no_stock_and_blocks_its_late_write()
    {
        var sale = await NewSaleAsync(stock: 5, perUserLimit: 2);
        var intent = Intent(sale, "a", 2);

        await Store.MarkFailedAsync(intent, "refused", default);
        await Store.WriteOrdersAsync([intent], default);

        (await Store.FindOrderAsync(intent.OrderId, default))!.Status.Should().Be(OrderStatus.Failed);
        var counters = await Store.GetCountersAsync(sale.Id, default);
        counters.AvailableStock.Should().Be(5);
        counters.PersistedUnits.Should().Be(0);
        counters.OrdersByStatus.Should().BeEquivalentTo(new Dictionary<string, long> { ["failed"] = 1 });
    }

    [Fact]
    public async Task A_failed_order_owes_its_return_to_the_gate_until_it_is_marked_done()
    {
        var sale = await NewSaleAsync(stock: 5, perUserLimit: 2);
        var failed = Intent(sale, "a", 2);
        var written = Intent(sale, "b", 1);
        await Store.WriteOrdersAsync([written], default);
        await Store.MarkFailedAsync(failed, "refused", default);
        await Store.MarkFailedAsync(written, "refused", default); // written after all: stays as it is, owes nothing

        var owed = await Store.GetUnreturnedFailedOrdersAsync(Math.Min(failed.OrderId, written.OrderId) - 1, 10, default);
        owed.Should().ContainSingle(o => o.OrderId == failed.OrderId).Which.Should().Be(failed);
        owed.Should().NotContain(o => o.OrderId == written.OrderId);
        (await Store.GetUnreturnedFailedOrdersAsync(failed.OrderId, 10, default)).Should().NotContain(o => o.OrderId == failed.OrderId, "the page starts after the id given");

        await Store.MarkStockReturnedAsync(failed.OrderId, default);
        await Store.MarkStockReturnedAsync(failed.OrderId, default);
        await Store.MarkStockReturnedAsync(written.OrderId, default);

        (await Store.GetUnreturnedFailedOrdersAsync(failed.OrderId - 1, 10, default)).Should().NotContain(o => o.OrderId == failed.OrderId);
        (await Store.FindOrderAsync(failed.OrderId, default))!.Status.Should().Be(OrderStatus.Failed);
        (await Store.FindOrderAsync(written.OrderId, default))!.Status.Should().Be(OrderStatus.PendingPayment);
    }

    [Fact]
    public async Task Unknown_orders_are_not_found()
    {
        (await Store.FindOrderAsync(TestEnvironment.NewId(), default)).Should().BeNull();
        (await Store.IsReadyAsync(default)).Should().BeTrue();
    }
}

public sealed class SqliteStoreContract : StoreContract, IDisposable
{
    private readonly EmbeddedNode _node = EmbeddedNode.InNewFolder("store");

    protected override IFlashSaleStore Store => _node.Store;

    public void Dispose() => _node.Dispose();
}

public sealed class PostgresStoreContract : StoreContract, IDisposable
{
    private readonly Npgsql.NpgsqlDataSource _dataSource = Npgsql.NpgsqlDataSource.Create(TestEnvironment.Postgres);

    public PostgresStoreContract()
    {
        Store = new FlashSale.Postgres.PostgresFlashSaleStore(_dataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<FlashSale.Postgres.PostgresFlashSaleStore>.Instance);
        Store.MigrateAsync(default).GetAwaiter().GetResult();
    }

    protected override IFlashSaleStore Store { get; }

    public void Dispose() => _dataSource.Dispose();
}
