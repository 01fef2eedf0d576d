using FlashSale.Core.Orders;
using FlashSale.Core.Payments;
using FlashSale.Core.Sales;
using FlashSale.Core.Storage;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace FlashSale.Postgres;

/// <summary>The PostgreSQL system of record.</summary>
public sealed class PostgresFlashSaleStore(NpgsqlDataSource dataSource, ILogger<PostgresFlashSaleStore> logger) : IFlashSaleStore
{
    private const string DataException = "22";
    private const string IntegrityViolation = "23";

    /// <summary>This adapter's SQL files.</summary>
    internal static readonly SqlScripts Scripts = SqlScripts.EmbeddedIn(typeof(PostgresFlashSaleStore).Assembly);

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var schema = await PostgresSchemaTransaction.BeginAsync(dataSource, cancellationToken).ConfigureAwait(false);
        await SchemaMigrations.ApplyAsync(Scripts, schema, logger, cancellationToken).ConfigureAwait(false);
    }

    public async Task CreateSaleAsync(Sale sale, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(Scripts.Get("insert_sale.sql"));
        cmd.Parameters.AddWithValue("id", sale.Id);
        cmd.Parameters.AddWithValue("name", sale.Name);
        cmd.Parameters.AddWithValue("product_id", sale.ProductId);
        cmd.Parameters.AddWithValue("price", sale.Price);
        cmd.Parameters.AddWithValue("stock", sale.Stock);
        cmd.Parameters.AddWithValue("per_user_limit", sale.PerUserLimit);
        cmd.Parameters.AddWithValue("starts_at", sale.StartsAt.UtcDateTime);
        cmd.Parameters.AddWithValue("ends_at", sale.EndsAt.UtcDateTime);
        cmd.Parameters.AddWithValue("payment_timeout_seconds", sale.PaymentTimeoutSeconds);
        cmd.Parameters.Add(new NpgsqlParameter("gateway_rules", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)SaleGatewayRulesJson.Serialize(sale.GatewayRules) ?? DBNull.Value });
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<Sale?> FindSaleAsync(long saleId, CancellationToken cancellationToken) =>
        (await FindSaleRowAsync(saleId, cancellationToken).ConfigureAwait(false))?.Sale;

    public async Task<SaleStockSnapshot?> GetStockSnapshotAsync(long saleId, CancellationToken cancellationToken)
    {
        var row = await FindSaleRowAsync(saleId, cancellationToken).ConfigureAwait(false);
        if (row is null) return null;
        await using var cmd = dataSource.CreateCommand(Scripts.Get("sale_orders.sql"));
        cmd.Parameters.AddWithValue("sale_id", saleId);
        return new SaleStockSnapshot(row.Value.Sale, await ReadSaleOrdersAsync(cmd, cancellationToken).ConfigureAwait(false), row.Value.GateLoaded);
    }

    /// <summary>The rows of sale_orders.sql: what the gate is rebuilt from and what reconciliation compares.</summary>
    internal static async Task<List<StoredOrder>> ReadSaleOrdersAsync(NpgsqlCommand cmd, CancellationToken cancellationToken)
    {
        var orders = new List<StoredOrder>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            orders.Add(new StoredOrder(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
        }
        return orders;
    }

    public async Task MarkGateLoadedAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(Scripts.Get("mark_gate_loaded.sql"));
        cmd.Parameters.AddWithValue("sale_id", saleId);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task WriteOrdersAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
    {
        if (intents.Count == 0) return;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var inserted = await InsertOrdersAsync(connection, tx, intents, cancellationToken).ConfigureAwait(false);
            if (inserted.Count < intents.Count && await FindCollisionAsync(connection, tx, intents, cancellationToken).ConfigureAwait(false) is { } collision)
            {
                await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
                throw Collision(collision);
            }
            if (inserted.Count > 0)
            {
                await DeductStockAsync(connection, tx, inserted, cancellationToken).ConfigureAwait(false);
                await AddUserTotalsAsync(connection, tx, inserted, cancellationToken).ConfigureAwait(false);
            }
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (IsRefusal(ex))
        {
            throw Refused(ex);
        }
    }

    /// <summary>The database refuses this data (a limit, a missing sale, a bad value): retrying it unchanged cannot help.</summary>
    private static bool IsRefusal(PostgresException ex) =>
        ex.SqlState.StartsWith(DataException, StringComparison.Ordinal) || ex.SqlState.StartsWith(IntegrityViolation, StringComparison.Ordinal);

    private static OrderBatchRejectedException Refused(PostgresException ex) => new($"{ex.ConstraintName ?? ex.SqlState}: {ex.MessageText}", ex);

    private OrderBatchRejectedException Collision(long orderId)
    {
        var refused = OrderBatchRejectedException.Collision(orderId);
        logger.LogError("{Reason}", refused.Message);
        return refused;
    }

    /// <summary>An order id of <paramref name="intents"/> that is stored with other content, or null: rows an
    /// idempotent insert skipped are redeliveries only when they match what is stored.</summary>
    private static async Task<long?> FindCollisionAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(Scripts.Get("order_collisions.sql"), connection, tx);
        AddIntentArrays(cmd, intents, withAcceptedAt: false);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long orderId ? orderId : null;
    }

    private static void AddIntentArrays(NpgsqlCommand cmd, IReadOnlyList<OrderIntent> intents, bool withAcceptedAt)
    {
        var n = intents.Count;
        var orderIds = new long[n]; var saleIds = new long[n]; var userIds = new string[n];
        var quantities = new int[n]; var requestIds = new string[n]; var acceptedAts = new DateTime[n];
        for (var i = 0; i < n; i++)
        {
            var o = intents[i];
            orderIds[i] = o.OrderId; saleIds[i] = o.SaleId; userIds[i] = o.UserId;
            quantities[i] = o.Quantity; requestIds[i] = o.RequestId;
            acceptedAts[i] = DateTimeOffset.FromUnixTimeMilliseconds(o.AcceptedAtMs).UtcDateTime;
        }
        cmd.Parameters.AddWithValue("order_ids", orderIds);
        cmd.Parameters.AddWithValue("sale_ids", saleIds);
        cmd.Parameters.AddWithValue("user_ids", userIds);
        cmd.Parameters.AddWithValue("quantities", quantities);
        cmd.Parameters.AddWithValue("request_ids", requestIds);
        if (withAcceptedAt) cmd.Parameters.AddWithValue("accepted_ats", acceptedAts);
    }

    private static async Task<List<OrderIntent>> InsertOrdersAsync(NpgsqlConnection connection, NpgsqlTransaction tx, IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
    {
        var n = intents.Count;
        await using var cmd = new NpgsqlCommand(Scripts.Get("insert_orders.sql"), connection, tx);
        AddIntentArrays(cmd, intents, withAcceptedAt: true);
        var inserted = new List<OrderIntent>(n);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            inserted.Add(new OrderIntent(reader.GetInt64(0), reader.GetInt64(1), reader.GetString(2), reader.GetInt32(3), "", 0));
        }
        return inserted;
    }

    private static async Task DeductStockAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<OrderIntent> inserted, CancellationToken cancellationToken)
    {
        var perSale = inserted.GroupBy(o => o.SaleId).Select(g => (SaleId: g.Key, Units: g.Sum(o => o.Quantity))).ToArray();
        await using var cmd = new NpgsqlCommand(Scripts.Get("deduct_stock.sql"), connection, tx);
        cmd.Parameters.AddWithValue("sale_ids", perSale.Select(p => p.SaleId).ToArray());
        cmd.Parameters.AddWithValue("units", perSale.Select(p => p.Units).ToArray());
        var updated = 0;
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) updated++;
        }
        if (updated != perSale.Length)
        {
            await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
            throw new OrderBatchRejectedException($"not enough stock in the database for {perSale.Length - updated} of {perSale.Length} sales");
        }
    }

    private static async Task AddUserTotalsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, List<OrderIntent> inserted, CancellationToken cancellationToken)
    {
        var perUser = inserted.GroupBy(o => (o.SaleId, o.UserId)).Select(g => (g.Key.SaleId, g.Key.UserId, Units: g.Sum(o => o.Quantity))).ToArray();
        await using var cmd = new NpgsqlCommand(Scripts.Get("add_user_totals.sql"), connection, tx);
        cmd.Parameters.AddWithValue("sale_ids", perUser.Select(p => p.SaleId).ToArray());
        cmd.Parameters.AddWithValue("user_ids", perUser.Select(p => p.UserId).ToArray());
        cmd.Parameters.AddWithValue("units", perUser.Select(p => p.Units).ToArray());
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkFailedAsync(OrderIntent intent, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand(Scripts.Get("mark_failed.sql"), connection);
        cmd.Parameters.AddWithValue("order_id", intent.OrderId);
        cmd.Parameters.AddWithValue("sale_id", intent.SaleId);
        cmd.Parameters.AddWithValue("user_id", intent.UserId);
        cmd.Parameters.AddWithValue("quantity", intent.Quantity);
        cmd.Parameters.AddWithValue("request_id", intent.RequestId);
        cmd.Parameters.AddWithValue("accepted_at", DateTimeOffset.FromUnixTimeMilliseconds(intent.AcceptedAtMs).UtcDateTime);
        cmd.Parameters.AddWithValue("failure", reason.Length > 500 ? reason[..500] : reason);
        try
        {
            if (await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long) return;
        }
        catch (PostgresException ex) when (IsRefusal(ex))
        {
            throw Refused(ex);
        }
        // The id was taken: by this very order (written or failed before), or by another one.
        if (await FindCollisionAsync(connection, null, [intent], cancellationToken).ConfigureAwait(false) is { } collision) throw Collision(collision);
    }

    public Task<IReadOnlyList<OrderIntent>> GetUnreturnedFailedOrdersAsync(long afterOrderId, int limit, CancellationToken cancellationToken) =>
        UnreturnedAsync("unreturned_failed_orders.sql", afterOrderId, limit, cancellationToken);

    public Task<IReadOnlyList<OrderIntent>> GetUnreturnedCancelledOrdersAsync(long afterOrderId, int limit, CancellationToken cancellationToken) =>
        UnreturnedAsync("unreturned_cancelled_orders.sql", afterOrderId, limit, cancellationToken);

    private async Task<IReadOnlyList<OrderIntent>> UnreturnedAsync(string sqlFile, long afterOrderId, int limit, CancellationToken cancellationToken) =>
        await QueryAsync(sqlFile, ReadIntent, cancellationToken, ("after_order_id", afterOrderId), ("limit", limit)).ConfigureAwait(false);

    public async Task MarkStockReturnedAsync(IReadOnlyList<long> orderIds, CancellationToken cancellationToken)
    {
        if (orderIds.Count == 0) return;
        await using var cmd = dataSource.CreateCommand(Scripts.Get("mark_stock_returned.sql"));
        cmd.Parameters.AddWithValue("order_ids", orderIds.ToArray());
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<Order?> FindOrderAsync(long orderId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        return await FindOrderAsync(connection, null, orderId, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<Order?> FindOrderAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, long orderId, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(Scripts.Get("find_order.sql"), connection, tx);
        cmd.Parameters.AddWithValue("order_id", orderId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadOrder(reader) : null;
    }

    public async Task<PaymentRecording> RecordPaymentAsync(PaymentReceipt payment, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (await FindPaymentStatusAsync(connection, payment.Event.PaymentId, cancellationToken).ConfigureAwait(false) is { } recorded) return PaymentRecording.Recorded(recorded, repeated: true);
        var order = await FindOrderAsync(connection, null, payment.Event.OrderId, cancellationToken).ConfigureAwait(false);
        if (order is null) return new PaymentRecording(PaymentResult.UnknownOrder);
        if (!payment.Matches(order)) return new PaymentRecording(PaymentResult.Mismatch);

        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var paid = await PaymentCommandAsync(connection, tx, "pay_order.sql", payment, cancellationToken).ConfigureAwait(false) == 1;
        if (!paid) await PaymentCommandAsync(connection, tx, "refund_payment.sql", payment, cancellationToken).ConfigureAwait(false);
        var status = paid ? PaymentRecordStatus.Succeeded : PaymentRecordStatus.RefundPending;
        if (await PaymentCommandAsync(connection, tx, "insert_payment.sql", payment, cancellationToken, status).ConfigureAwait(false) == 0)
        {
            // The same payment, recorded by a transaction that committed while this one ran: its answer stands.
            await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return PaymentRecording.Recorded((await FindPaymentStatusAsync(connection, payment.Event.PaymentId, cancellationToken).ConfigureAwait(false))!, repeated: true);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return PaymentRecording.Recorded(status, repeated: false);
    }

    private static async Task<string?> FindPaymentStatusAsync(NpgsqlConnection connection, string paymentId, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(Scripts.Get("find_payment.sql"), connection);
        cmd.Parameters.AddWithValue("payment_id", paymentId);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>Runs one of the payment's statements with the payment's values; returns the rows it changed.</summary>
    private static async Task<int> PaymentCommandAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sqlFile, PaymentReceipt payment, CancellationToken cancellationToken, string? status = null)
    {
        await using var cmd = new NpgsqlCommand(Scripts.Get(sqlFile), connection, tx);
        foreach (var (name, value) in new (string, object)[] { ("payment_id", payment.Event.PaymentId), ("order_id", payment.Event.OrderId), ("amount", payment.Event.Amount),
                     ("currency", payment.Event.Currency), ("provider", payment.Provider), ("received_at", payment.ReceivedAt.UtcDateTime) })
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        if (status is not null) cmd.Parameters.AddWithValue("status", status);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<CancelOutcome> CancelAsync(long orderId, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!OrderLifecycle.IsCancelReason(reason)) throw new ArgumentOutOfRangeException(nameof(reason), reason, "not a cancel reason");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand(Scripts.Get("cancel_order.sql"), connection))
        {
            cmd.Parameters.AddWithValue("order_id", orderId);
            cmd.Parameters.AddWithValue("reason", reason);
            cmd.Parameters.AddWithValue("now", now.UtcDateTime);
            if (await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is 1L) return CancelOutcome.Cancelled;
        }
        return OrderLifecycle.UnmovedCancel((await FindOrderAsync(connection, null, orderId, cancellationToken).ConfigureAwait(false))?.Status);
    }

    public async Task<IReadOnlyList<OrderIntent>> CancelDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await QueryAsync("cancel_due.sql", ReadIntent, cancellationToken, ("now", now.UtcDateTime), ("limit", limit)).ConfigureAwait(false);

    public async Task<bool> RecordFailedPaymentAsync(PaymentEvent failed, string provider, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        if (failed.Status != PaymentOutcome.Failed) throw new ArgumentException("only a failed payment is recorded here", nameof(failed));
        await using var cmd = dataSource.CreateCommand(Scripts.Get("insert_payment_failure.sql"));
        cmd.Parameters.AddWithValue("payment_id", failed.PaymentId);
        cmd.Parameters.AddWithValue("order_id", failed.OrderId);
        cmd.Parameters.AddWithValue("provider", provider);
        cmd.Parameters.AddWithValue("received_at", receivedAt.UtcDateTime);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    public async Task<IReadOnlyList<OwedRefund>> GetPendingRefundsAsync(string afterPaymentId, int limit, CancellationToken cancellationToken) =>
        await QueryAsync("pending_refunds.sql", r => new OwedRefund(r.GetString(0), r.GetInt64(1), r.GetDecimal(2), r.GetString(3), r.GetString(4)),
            cancellationToken, ("after_payment_id", afterPaymentId), ("limit", limit)).ConfigureAwait(false);

    public async Task MarkRefundedAsync(string paymentId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var cmd = new NpgsqlCommand(Scripts.Get("mark_refunded.sql"), connection, tx))
        {
            cmd.Parameters.AddWithValue("payment_id", paymentId);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlySet<long>> FindPersistedAsync(IReadOnlyList<long> orderIds, CancellationToken cancellationToken) =>
        orderIds.Count == 0
            ? new HashSet<long>()
            : (await QueryAsync("persisted_orders.sql", r => r.GetInt64(0), cancellationToken, ("order_ids", orderIds.ToArray())).ConfigureAwait(false)).ToHashSet();

    public async Task<IReadOnlyList<Order>> GetUserOrdersAsync(long saleId, string userId, CancellationToken cancellationToken) =>
        await QueryAsync("user_orders.sql", ReadOrder, cancellationToken, ("sale_id", saleId), ("user_id", userId)).ConfigureAwait(false);

    public async Task<StoreSaleCounters> GetCountersAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(Scripts.Get("sale_counters.sql"));
        cmd.Parameters.AddWithValue("sale_id", saleId);
        long available = 0, persisted = 0;
        DateTimeOffset? first = null, last = null;
        var byStatus = new Dictionary<string, long>(StringComparer.Ordinal);
        var byRefund = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            available = reader.GetInt32(0);
            persisted += reader.GetInt64(1);
            if (reader.IsDBNull(2)) continue;
            byStatus[reader.GetString(2)] = byStatus.GetValueOrDefault(reader.GetString(2)) + reader.GetInt64(3);
            if (!reader.IsDBNull(6)) byRefund[reader.GetString(6)] = byRefund.GetValueOrDefault(reader.GetString(6)) + reader.GetInt64(3);
            var (a, p) = (new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero), new DateTimeOffset(reader.GetDateTime(5), TimeSpan.Zero));
            first = first is null || a < first ? a : first;
            last = last is null || p > last ? p : last;
        }
        return new StoreSaleCounters(available, persisted, byStatus, first, last) { OrdersByRefund = byRefund };
    }

    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var cmd = dataSource.CreateCommand("SELECT 1");
            await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return false;
        }
    }

    private async Task<(Sale Sale, int Available, bool GateLoaded)?> FindSaleRowAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(Scripts.Get("find_sale.sql"));
        cmd.Parameters.AddWithValue("id", saleId);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
        var sale = new Sale(
            reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetDecimal(3), reader.GetInt32(4), reader.GetInt32(5),
            new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero), new DateTimeOffset(reader.GetDateTime(7), TimeSpan.Zero), reader.GetInt32(8),
            reader.IsDBNull(10) ? null : SaleGatewayRulesJson.Deserialize(reader.GetString(10)));
        return (sale, reader.GetInt32(9), reader.GetBoolean(11));
    }

    /// <summary>The rows <paramref name="sqlFile"/> reads with <paramref name="parameters"/>, one item each.</summary>
    private async Task<List<T>> QueryAsync<T>(string sqlFile, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var cmd = dataSource.CreateCommand(Scripts.Get(sqlFile));
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        var rows = new List<T>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(read(reader));
        return rows;
    }

    /// <summary>An order's intent columns: order_id, sale_id, user_id, quantity, request_id, accepted_at.</summary>
    private static OrderIntent ReadIntent(NpgsqlDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3), r.GetString(4), new DateTimeOffset(r.GetDateTime(5), TimeSpan.Zero).ToUnixTimeMilliseconds());

    private static Order ReadOrder(NpgsqlDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3), r.GetString(4), r.GetString(5),
        At(r, 6)!.Value, At(r, 7), r.GetDecimal(8), At(r, 9)!.Value, At(r, 10), At(r, 11), Text(r, 12),
        r.IsDBNull(13) ? null : new OrderPayment(r.GetString(13), r.GetString(14), r.GetString(15)),
        r.IsDBNull(16) ? null : new OrderRefund(r.GetString(16), r.GetDecimal(17)), r.GetInt32(18));

    private static DateTimeOffset? At(NpgsqlDataReader r, int column) => r.IsDBNull(column) ? null : new DateTimeOffset(r.GetDateTime(column), TimeSpan.Zero);

    private static string? Text(NpgsqlDataReader r, int column) => r.IsDBNull(column) ? null : r.GetString(column);
}
