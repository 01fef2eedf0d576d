using FlashSale.Core.Notifications;
using FlashSale.Core.Orders;
using FlashSale.Core.Sales;
using FlashSale.Postgres;
using FlashSale.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FlashSale.Adapters.Tests;

/// <summary>
/// The merchant webhook's outbox, written once and run against every store, each on a database of its own (the claim
/// sees every due row): the database writes one row per status change in the change's transaction; claims lease rows.
/// </summary>
public abstract class NotificationOutboxContract
{
    protected abstract IFlashSaleStore Store { get; }
    protected abstract INotificationOutbox Outbox { get; }

    /// <summary>The outbox rows of one order, oldest first, read straight from the database.</summary>
    protected abstract Task<IReadOnlyList<(string Status, string? RefundStatus)>> RowsOfAsync(long orderId);

    protected async Task<Sale> NewSaleAsync(int stock)
    {
        var sale = TestEnvironment.NewSale(stock, perUserLimit: 1);
        await Store.CreateSaleAsync(sale, default);
        return sale;
    }

    protected static OrderIntent Intent(Sale sale, string user) =>
        new(TestEnvironment.NewId(), sale.Id, user, 1, Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    [Fact]
    public async Task Each_status_change_writes_exactly_one_row_with_the_change_and_nothing_else_does()
    {
        var sale = await NewSaleAsync(stock: 10);
        var a = Intent(sale, "a");
        var b = Intent(sale, "b");

        await Store.WriteOrdersAsync([a, b], default);
        await Store.WriteOrdersAsync([a, b], default); // a redelivery changes nothing
        (await Store.CancelAsync(a.OrderId, CancelReason.User, DateTimeOffset.UtcNow, default)).Should().Be(CancelOutcome.Cancelled);
        (await Store.CancelAsync(a.OrderId, CancelReason.User, DateTimeOffset.UtcNow, default)).Should().Be(CancelOutcome.AlreadyCancelled);
        await Store.MarkStockReturnedAsync(a.OrderId, default); // not a status change

        (await RowsOfAsync(a.OrderId)).Should().Equal(("pending_payment", null), ("cancelled", null));
        (await RowsOfAsync(b.OrderId)).Should().Equal(("pending_payment", null));
    }

    [Fact]
    public async Task A_refused_batch_leaves_no_row_the_row_is_in_the_changes_transaction()
    {
        var sale = await NewSaleAsync(stock: 1);
        var fits = Intent(sale, "a");
        var tooMany = Intent(sale, "b");

        var act = () => Store.WriteOrdersAsync([fits, tooMany], default); // two units of a one-unit sale: rolled back
        await act.Should().ThrowAsync<OrderBatchRejectedException>();

        (await RowsOfAsync(fits.OrderId)).Should().BeEmpty();
        (await RowsOfAsync(tooMany.OrderId)).Should().BeEmpty();
        await Store.MarkFailedAsync(tooMany, "test", default);
        (await RowsOfAsync(tooMany.OrderId)).Should().Equal(("failed", null));
    }

    [Fact]
    public async Task A_claimed_row_is_leased_retried_when_due_and_never_claimed_again_once_delivered_or_dead()
    {
        var sale = await NewSaleAsync(stock: 10);
        var orders = new[] { Intent(sale, "a"), Intent(sale, "b"), Intent(sale, "c") };
        await Store.WriteOrdersAsync(orders, default);
        var now = DateTimeOffset.UtcNow.AddSeconds(5);

        var claimed = await Outbox.ClaimAsync(100, now, now.AddMinutes(1), default);
        claimed.Select(e => e.OrderId).Should().Equal(orders.Select(o => o.OrderId));
        claimed.Should().OnlyContain(e => e.Attempts == 1 && e.Status == "pending_payment" && e.SaleId == sale.Id);
        claimed.Select(e => e.UserId).Should().Equal("a", "b", "c");
        (await Outbox.ClaimAsync(100, now.AddSeconds(59), now.AddMinutes(2), default)).Should().BeEmpty("leased");

        await Outbox.MarkDeliveredAsync(claimed[0].EventId, now, default);
        await Outbox.MarkRetryAsync(claimed[1].EventId, now.AddSeconds(10), "HTTP 500", default);
        await Outbox.MarkDeadAsync(claimed[2].EventId, now, "HTTP 500", default);

        var again = await Outbox.ClaimAsync(100, now.AddSeconds(10), now.AddMinutes(1), default);
        again.Should().ContainSingle().Which.Should().Be(claimed[1] with { Attempts = 2 });
        (await Outbox.ClaimAsync(100, now.AddDays(1), now.AddDays(2), default)).Should().ContainSingle("the lease of the retry's claim ran out; delivered and dead rows stay out")
            .Which.EventId.Should().Be(claimed[1].EventId);
        (await Outbox.TrimAsync(now.AddSeconds(1), 100, default)).Should().Be(1, "only the delivered row goes");
    }

    [Fact]
    public async Task With_no_webhook_waiting_rows_are_skipped_and_trimmed()
    {
        var sale = await NewSaleAsync(stock: 10);
        await Store.WriteOrdersAsync([Intent(sale, "a"), Intent(sale, "b")], default);
        var now = DateTimeOffset.UtcNow.AddSeconds(5);

        (await Outbox.SkipAsync(1, now, default)).Should().Be(1);
        (await Outbox.SkipAsync(100, now, default)).Should().Be(1);
        (await Outbox.ClaimAsync(100, now, now.AddMinutes(1), default)).Should().BeEmpty();
        (await Outbox.TrimAsync(now.AddSeconds(1), 100, default)).Should().Be(2);
    }
}

public sealed class SqliteNotificationOutboxContract : NotificationOutboxContract, IDisposable
{
    private readonly EmbeddedNode _node = EmbeddedNode.InNewFolder("outbox");

    public SqliteNotificationOutboxContract() => Outbox = new SqliteNotificationOutbox(_node.Database);

    protected override IFlashSaleStore Store => _node.Store;
    protected override INotificationOutbox Outbox { get; }

    protected override Task<IReadOnlyList<(string Status, string? RefundStatus)>> RowsOfAsync(long orderId)
    {
        using var connection = _node.Database.Connect();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT status, refund_status FROM notification_outbox WHERE order_id = @id ORDER BY id";
        cmd.Parameters.AddWithValue("@id", orderId);
        using var reader = cmd.ExecuteReader();
        var rows = new List<(string, string?)>();
        while (reader.Read()) rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        return Task.FromResult<IReadOnlyList<(string, string?)>>(rows);
    }

    public void Dispose() => _node.Dispose();
}

/// <summary>On a PostgreSQL database of its own, created for the test and dropped after it.</summary>
public sealed class PostgresNotificationOutboxContract : NotificationOutboxContract, IAsyncLifetime
{
    private readonly string _database = "fs_outbox_" + Guid.NewGuid().ToString("N")[..12];
    private NpgsqlDataSource _dataSource = null!;
    private IFlashSaleStore _store = null!;
    private INotificationOutbox _outbox = null!;

    protected override IFlashSaleStore Store => _store;
    protected override INotificationOutbox Outbox => _outbox;

    public async Task InitializeAsync()
    {
        await using (var admin = NpgsqlDataSource.Create(TestEnvironment.Postgres))
        await using (var create = admin.CreateCommand($"CREATE DATABASE {_database}"))
        {
            await create.ExecuteNonQueryAsync();
        }
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(TestEnvironment.Postgres) { Database = _database }.ConnectionString);
        _store = new PostgresFlashSaleStore(_dataSource, NullLogger<PostgresFlashSaleStore>.Instance);
        await _store.MigrateAsync(default);
        _outbox = new PostgresNotificationOutbox(_dataSource);
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = NpgsqlDataSource.Create(TestEnvironment.Postgres);
        await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)");
        await drop.ExecuteNonQueryAsync();
    }

    protected override async Task<IReadOnlyList<(string Status, string? RefundStatus)>> RowsOfAsync(long orderId)
    {
        await using var cmd = _dataSource.CreateCommand("SELECT status, refund_status FROM notification_outbox WHERE order_id = @id ORDER BY id");
        cmd.Parameters.AddWithValue("id", orderId);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<(string, string?)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1)));
        return rows;
    }

    [Fact]
    public async Task Concurrent_claimers_never_hand_out_the_same_row_twice()
    {
        var sale = await NewSaleAsync(stock: 400);
        for (var batch = 0; batch < 4; batch++)
        {
            await Store.WriteOrdersAsync(Enumerable.Range(0, 100).Select(i => Intent(sale, $"u{batch}-{i}")).ToArray(), default);
        }
        var now = DateTimeOffset.UtcNow.AddSeconds(5);
        var claimed = new System.Collections.Concurrent.ConcurrentBag<long>();

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (await Outbox.ClaimAsync(7, now, now.AddMinutes(5), default) is { Count: > 0 } got)
            {
                foreach (var e in got) claimed.Add(e.EventId);
            }
        })));

        claimed.Should().HaveCount(400).And.OnlyHaveUniqueItems();
    }
}
