using System.Globalization;
using FlashSale.Core.Orders;
using FlashSale.Core.Payments;
using FlashSale.Core.Sales;
using Microsoft.Data.Sqlite;

namespace FlashSale.Sqlite;

/// <summary>The SQLite system of record of embedded mode: the same tables and guards as PostgreSQL.</summary>
public sealed class SqliteFlashSaleStore(SqliteDatabase database, TimeProvider time) : IFlashSaleStore
{

    public Task MigrateAsync(CancellationToken cancellationToken)
    {
        database.Open();
        return Task.CompletedTask;
    }

    public Task CreateSaleAsync(Sale sale, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, tx) =>
        {
            using var cmd = Command(connection, tx, "insert_sale.sql");
            cmd.Parameters.AddWithValue("@id", sale.Id);
            cmd.Parameters.AddWithValue("@name", sale.Name);
            cmd.Parameters.AddWithValue("@product_id", sale.ProductId);
            cmd.Parameters.AddWithValue("@price", sale.Price.ToString(CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("@stock", sale.Stock);
            cmd.Parameters.AddWithValue("@per_user_limit", sale.PerUserLimit);
            cmd.Parameters.AddWithValue("@starts_at_ms", sale.StartsAt.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("@ends_at_ms", sale.EndsAt.ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("@payment_timeout_seconds", sale.PaymentTimeoutSeconds);
            cmd.Parameters.AddWithValue("@now_ms", time.GetUtcNow().ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("@gateway_rules", (object?)SaleGatewayRulesJson.Serialize(sale.GatewayRules) ?? DBNull.Value);
            return cmd.ExecuteNonQuery();
        }, cancellationToken);

    public Task<Sale?> FindSaleAsync(long saleId, CancellationToken cancellationToken) =>
        Task.FromResult(FindSaleRow(saleId)?.Sale);

    public Task<SaleStockSnapshot?> GetStockSnapshotAsync(long saleId, CancellationToken cancellationToken)
    {
        if (FindSaleRow(saleId) is not { } row) return Task.FromResult<SaleStockSnapshot?>(null);
        using var connection = database.Connect();
        using var cmd = Command(connection, null, "sale_orders.sql");
        cmd.Parameters.AddWithValue("@sale_id", saleId);
        return Task.FromResult<SaleStockSnapshot?>(new SaleStockSnapshot(row.Sale, ReadSaleOrders(cmd), row.GateLoaded));
    }

    /// <summary>The rows of sale_orders.sql: what the gate is rebuilt from and what reconciliation compares.</summary>
    internal static List<StoredOrder> ReadSaleOrders(SqliteCommand cmd)
    {
        var orders = new List<StoredOrder>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) orders.Add(new StoredOrder(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5)));
        return orders;
    }

    public Task MarkGateLoadedAsync(long saleId, CancellationToken cancellationToken) =>
        MarkNowAsync("mark_gate_loaded.sql", "@sale_id", saleId, cancellationToken);

    public async Task WriteOrdersAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
    {
        if (intents.Count == 0) return;
        try
        {
            await database.WriteAsync((connection, tx) =>
            {
                var inserted = InsertOrders(connection, tx, intents);
                DeductStock(connection, tx, inserted);
                AddUserTotals(connection, tx, inserted);
                return inserted.Count;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteDatabase.ConstraintError)
        {
            throw new OrderBatchRejectedException(ex.Message, ex);
        }
    }

    private List<OrderIntent> InsertOrders(SqliteConnection connection, SqliteTransaction tx, IReadOnlyList<OrderIntent> intents)
    {
        using var cmd = Command(connection, tx, "insert_order.sql");
        var bind = IntentParameters.AddTo(cmd);
        cmd.Parameters.AddWithValue("@now_ms", time.GetUtcNow().ToUnixTimeMilliseconds());
        var inserted = new List<OrderIntent>(intents.Count);
        foreach (var intent in intents)
        {
            bind.Set(intent);
            if (cmd.ExecuteNonQuery() == 1) inserted.Add(intent);
            else ThrowOnCollision(connection, tx, intent);
        }
        return inserted;
    }

    /// <summary>An idempotent insert that inserted nothing is a redelivery only when the stored order matches.</summary>
    private static void ThrowOnCollision(SqliteConnection connection, SqliteTransaction tx, OrderIntent intent)
    {
        using var cmd = Command(connection, tx, "order_collision.sql");
        cmd.Parameters.AddWithValue("@order_id", intent.OrderId);
        cmd.Parameters.AddWithValue("@sale_id", intent.SaleId);
        cmd.Parameters.AddWithValue("@user_id", intent.UserId);
        cmd.Parameters.AddWithValue("@quantity", intent.Quantity);
        cmd.Parameters.AddWithValue("@request_id", intent.RequestId);
        if (cmd.ExecuteScalar() is not null) throw OrderBatchRejectedException.Collision(intent.OrderId);
    }

    private static void DeductStock(SqliteConnection connection, SqliteTransaction tx, List<OrderIntent> inserted)
    {
        using var cmd = Command(connection, tx, "deduct_stock.sql");
        var saleId = cmd.Parameters.Add("@sale_id", SqliteType.Integer);
        var units = cmd.Parameters.Add("@units", SqliteType.Integer);
        foreach (var group in inserted.GroupBy(o => o.SaleId))
        {
            saleId.Value = group.Key;
            units.Value = group.Sum(o => o.Quantity);
            if (cmd.ExecuteNonQuery() != 1)
            {
                throw new OrderBatchRejectedException($"not enough stock in the database for sale {group.Key}");
            }
        }
    }

    private static void AddUserTotals(SqliteConnection connection, SqliteTransaction tx, List<OrderIntent> inserted)
    {
        using var cmd = Command(connection, tx, "add_user_total.sql");
        var saleId = cmd.Parameters.Add("@sale_id", SqliteType.Integer);
        var userId = cmd.Parameters.Add("@user_id", SqliteType.Text);
        var units = cmd.Parameters.Add("@units", SqliteType.Integer);
        foreach (var group in inserted.GroupBy(o => (o.SaleId, o.UserId)))
        {
            saleId.Value = group.Key.SaleId;
            userId.Value = group.Key.UserId;
            units.Value = group.Sum(o => o.Quantity);
            cmd.ExecuteNonQuery();
        }
    }

    public async Task MarkFailedAsync(OrderIntent intent, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await MarkFailedRowAsync(intent, reason, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteDatabase.ConstraintError)
        {
            throw new OrderBatchRejectedException(ex.Message, ex);
        }
    }

    private Task MarkFailedRowAsync(OrderIntent intent, string reason, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, tx) =>
        {
            using var cmd = Command(connection, tx, "mark_failed.sql");
            IntentParameters.AddTo(cmd).Set(intent);
            cmd.Parameters.AddWithValue("@now_ms", time.GetUtcNow().ToUnixTimeMilliseconds());
            cmd.Parameters.AddWithValue("@failure", reason.Length > 500 ? reason[..500] : reason);
            var inserted = cmd.ExecuteNonQuery();
            if (inserted == 0) ThrowOnCollision(connection, tx, intent);
            return inserted;
        }, cancellationToken);

    public Task<IReadOnlyList<OrderIntent>> GetUnreturnedFailedOrdersAsync(long afterOrderId, int limit, CancellationToken cancellationToken) =>
        Unreturned("unreturned_failed_orders.sql", afterOrderId, limit);

    public Task<IReadOnlyList<OrderIntent>> GetUnreturnedCancelledOrdersAsync(long afterOrderId, int limit, CancellationToken cancellationToken) =>
        Unreturned("unreturned_cancelled_orders.sql", afterOrderId, limit);

    private Task<IReadOnlyList<OrderIntent>> Unreturned(string sqlFile, long afterOrderId, int limit) =>
        Task.FromResult<IReadOnlyList<OrderIntent>>(Query(sqlFile, ReadIntent, ("@after_order_id", afterOrderId), ("@limit", limit)));

    public Task MarkStockReturnedAsync(IReadOnlyList<long> orderIds, CancellationToken cancellationToken) =>
        orderIds.Count == 0 ? Task.CompletedTask : database.WriteAsync((connection, tx) =>
        {
            using var cmd = Command(connection, tx, "mark_stock_returned.sql");
            var id = cmd.Parameters.Add("@order_id", SqliteType.Integer);
            cmd.Parameters.AddWithValue("@now_ms", time.GetUtcNow().ToUnixTimeMilliseconds());
            foreach (var orderId in orderIds)
            {
                id.Value = orderId;
                cmd.ExecuteNonQuery();
            }
            return orderIds.Count;
        }, cancellationToken);

    /// <summary>Writes the time now (<c>@now_ms</c>) into the row <paramref name="key"/> names, with <paramref name="sqlFile"/>.</summary>
    private Task MarkNowAsync(string sqlFile, string key, long id, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, tx) =>
        {
            using var cmd = Command(connection, tx, sqlFile);
            cmd.Parameters.AddWithValue(key, id);
            cmd.Parameters.AddWithValue("@now_ms", time.GetUtcNow().ToUnixTimeMilliseconds());
            return cmd.ExecuteNonQuery();
        }, cancellationToken);

    public Task<Order?> FindOrderAsync(long orderId, CancellationToken cancellationToken)
    {
        using var connection = database.Connect();
        return Task.FromResult(FindOrder(connection, null, orderId));
    }

    private static Order? FindOrder(SqliteConnection connection, SqliteTransaction? tx, long orderId)
    {
        using var cmd = Command(connection, tx, "find_order.sql");
        cmd.Parameters.AddWithValue("@order_id", orderId);
        using var reader = cmd.ExecuteReader();
        return reader.Read() ? ReadOrder(reader) : null;
    }

    /// <summary>Writes run one at a time here, so the checks read in the write's transaction cannot go stale before its update.</summary>
    public Task<PaymentRecording> RecordPaymentAsync(PaymentReceipt payment, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, tx) =>
        {
            if (FindPaymentStatus(connection, tx, payment.Event.PaymentId) is { } recorded) return PaymentRecording.Recorded(recorded, repeated: true);
            var order = FindOrder(connection, tx, payment.Event.OrderId);
            if (order is null) return new PaymentRecording(PaymentResult.UnknownOrder);
            if (!payment.Matches(order)) return new PaymentRecording(PaymentResult.Mismatch);
            var paid = PaymentCommand(connection, tx, "pay_order.sql", payment) == 1;
            if (!paid) PaymentCommand(connection, tx, "refund_payment.sql", payment);
            var status = paid ? PaymentRecordStatus.Succeeded : PaymentRecordStatus.RefundPending;
            PaymentCommand(connection, tx, "insert_payment.sql", payment, status);
            return PaymentRecording.Recorded(status, repeated: false);
        }, cancellationToken);

    private static string? FindPaymentStatus(SqliteConnection connection, SqliteTransaction tx, string paymentId)
    {
        using var cmd = Command(connection, tx, "find_payment.sql");
        cmd.Parameters.AddWithValue("@payment_id", paymentId);
        return cmd.ExecuteScalar() as string;
    }

    /// <summary>Runs one of the payment's statements with the payment's values; returns the rows it changed.</summary>
    private int PaymentCommand(SqliteConnection connection, SqliteTransaction tx, string sqlFile, PaymentReceipt payment, string? status = null)
    {
        using var cmd = Command(connection, tx, sqlFile);
        foreach (var (name, value) in new (string, object)[] { ("@payment_id", payment.Event.PaymentId), ("@order_id", payment.Event.OrderId),
                     ("@amount", payment.Event.Amount.ToString(CultureInfo.InvariantCulture)), ("@currency", payment.Event.Currency), ("@provider", payment.Provider),
                     ("@received_at_ms", payment.ReceivedAt.ToUnixTimeMilliseconds()), ("@now_ms", time.GetUtcNow().ToUnixTimeMilliseconds()) })
        {
            cmd.Parameters.AddWithValue(name, value);
        }
        if (status is not null) cmd.Parameters.AddWithValue("@status", status);
        return cmd.ExecuteNonQuery();
    }

    public Task<CancelOutcome> CancelAsync(long orderId, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!OrderLifecycle.IsCancelReason(reason)) throw new ArgumentOutOfRangeException(nameof(reason), reason, "not a cancel reason");
        return database.WriteAsync((connection, tx) =>
        {
            using var cancel = Command(connection, tx, "cancel_order.sql");
            cancel.Parameters.AddWithValue("@order_id", orderId);
            cancel.Parameters.AddWithValue("@reason", reason);
            cancel.Parameters.AddWithValue("@now_ms", now.ToUnixTimeMilliseconds());
            return CancelGivingUnitsBack(connection, tx, cancel).Count == 1
                ? CancelOutcome.Cancelled
                : OrderLifecycle.UnmovedCancel(FindOrder(connection, tx, orderId)?.Status);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<OrderIntent>> CancelDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        database.WriteAsync<IReadOnlyList<OrderIntent>>((connection, tx) =>
        {
            using var cancel = Command(connection, tx, "cancel_due.sql");
            cancel.Parameters.AddWithValue("@now_ms", now.ToUnixTimeMilliseconds());
            cancel.Parameters.AddWithValue("@limit", limit);
            var cancelled = CancelGivingUnitsBack(connection, tx, cancel);
            cancelled.Sort(static (a, b) => a.OrderId.CompareTo(b.OrderId));
            return cancelled;
        }, cancellationToken);

    /// <summary>Runs a cancelling statement (one that returns the intents it cancelled) and, in the same transaction, gives
    /// each cancelled order's units back to its sale and its quantity back to its user (return_units.sql).</summary>
    private static List<OrderIntent> CancelGivingUnitsBack(SqliteConnection connection, SqliteTransaction tx, SqliteCommand cancel)
    {
        var cancelled = new List<OrderIntent>();
        using (var reader = cancel.ExecuteReader())
        {
            while (reader.Read()) cancelled.Add(ReadIntent(reader));
        }
        using var give = Command(connection, tx, "return_units.sql");
        var (sale, user, units) = (give.Parameters.Add("@sale_id", SqliteType.Integer), give.Parameters.Add("@user_id", SqliteType.Text), give.Parameters.Add("@units", SqliteType.Integer));
        foreach (var intent in cancelled)
        {
            (sale.Value, user.Value, units.Value) = (intent.SaleId, intent.UserId, intent.Quantity);
            give.ExecuteNonQuery();
        }
        return cancelled;
    }

    public Task<bool> RecordFailedPaymentAsync(PaymentEvent failed, string provider, DateTimeOffset receivedAt, CancellationToken cancellationToken)
    {
        if (failed.Status != PaymentOutcome.Failed) throw new ArgumentException("only a failed payment is recorded here", nameof(failed));
        return database.WriteAsync((connection, tx) =>
        {
            using var cmd = Command(connection, tx, "insert_payment_failure.sql");
            cmd.Parameters.AddWithValue("@payment_id", failed.PaymentId);
            cmd.Parameters.AddWithValue("@order_id", failed.OrderId);
            cmd.Parameters.AddWithValue("@provider", provider);
            cmd.Parameters.AddWithValue("@received_at_ms", receivedAt.ToUnixTimeMilliseconds());
            return cmd.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<OwedRefund>> GetPendingRefundsAsync(string afterPaymentId, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<OwedRefund>>(Query("pending_refunds.sql",
            r => new OwedRefund(r.GetString(0), r.GetInt64(1), Money(r, 2)!.Value, r.GetString(3), r.GetString(4)), ("@after_payment_id", afterPaymentId), ("@limit", limit)));

    public Task MarkRefundedAsync(string paymentId, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, tx) =>
        {
            using var cmd = Command(connection, tx, "mark_refunded.sql");
            cmd.Parameters.AddWithValue("@payment_id", paymentId);
            return cmd.ExecuteNonQuery();
        }, cancellationToken);

    public Task<IReadOnlySet<long>> FindPersistedAsync(IReadOnlyList<long> orderIds, CancellationToken cancellationToken)
    {
        var found = new HashSet<long>();
        using var connection = database.Connect();
        using var cmd = Command(connection, null, "persisted_order.sql");
        var id = cmd.Parameters.Add("@order_id", SqliteType.Integer);
        foreach (var orderId in orderIds)
        {
            id.Value = orderId;
            if (cmd.ExecuteScalar() is not null) found.Add(orderId);
        }
        return Task.FromResult<IReadOnlySet<long>>(found);
    }

    public Task<IReadOnlyList<Order>> GetUserOrdersAsync(long saleId, string userId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<Order>>(Query("user_orders.sql", ReadOrder, ("@sale_id", saleId), ("@user_id", userId)));

    public Task<StoreSaleCounters> GetCountersAsync(long saleId, CancellationToken cancellationToken)
    {
        using var connection = database.Connect();
        using var cmd = Command(connection, null, "sale_counters.sql");
        cmd.Parameters.AddWithValue("@sale_id", saleId);
        long available = 0, persisted = 0;
        long? first = null, last = null;
        var byStatus = new Dictionary<string, long>(StringComparer.Ordinal);
        var byRefund = new Dictionary<string, long>(StringComparer.Ordinal);
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            available = reader.GetInt64(0);
            persisted += reader.GetInt64(1);
            if (reader.IsDBNull(2)) continue;
            byStatus[reader.GetString(2)] = byStatus.GetValueOrDefault(reader.GetString(2)) + reader.GetInt64(3);
            if (!reader.IsDBNull(6)) byRefund[reader.GetString(6)] = byRefund.GetValueOrDefault(reader.GetString(6)) + reader.GetInt64(3);
            first = Math.Min(first ?? long.MaxValue, reader.GetInt64(4));
            last = Math.Max(last ?? long.MinValue, reader.GetInt64(5));
        }
        return Task.FromResult(new StoreSaleCounters(available, persisted, byStatus,
            first is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null, last is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l) : null) { OrdersByRefund = byRefund });
    }

    public Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var connection = database.Connect();
            using var cmd = new SqliteCommand("SELECT 1", connection);
            cmd.ExecuteScalar();
            return Task.FromResult(true);
        }
        catch (SqliteException)
        {
            return Task.FromResult(false);
        }
    }

    /// <summary>The id of some sale, or null when the database has none (first run).</summary>
    public long? AnySaleId()
    {
        using var connection = database.Connect();
        using var cmd = Command(connection, null, "any_sale.sql");
        return cmd.ExecuteScalar() is long id ? id : null;
    }

    private (Sale Sale, int Available, bool GateLoaded)? FindSaleRow(long saleId)
    {
        using var connection = database.Connect();
        using var cmd = Command(connection, null, "find_sale.sql");
        cmd.Parameters.AddWithValue("@id", saleId);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        var sale = new Sale(r.GetInt64(0), r.GetString(1), r.GetString(2), decimal.Parse(r.GetString(3), CultureInfo.InvariantCulture),
            r.GetInt32(4), r.GetInt32(5), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(6)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(7)), r.GetInt32(8),
            r.IsDBNull(10) ? null : SaleGatewayRulesJson.Deserialize(r.GetString(10)));
        return (sale, r.GetInt32(9), r.GetInt64(11) != 0);
    }

    /// <summary>The rows <paramref name="sqlFile"/> reads with <paramref name="parameters"/>, one item each.</summary>
    private List<T> Query<T>(string sqlFile, Func<SqliteDataReader, T> read, params ReadOnlySpan<(string Name, object Value)> parameters)
    {
        using var connection = database.Connect();
        using var cmd = Command(connection, null, sqlFile);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        var rows = new List<T>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) rows.Add(read(reader));
        return rows;
    }

    /// <summary>An order's intent columns: order_id, sale_id, user_id, quantity, request_id, accepted_at_ms.</summary>
    private static OrderIntent ReadIntent(SqliteDataReader r) => new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3), r.GetString(4), r.GetInt64(5));

    private static Order ReadOrder(SqliteDataReader r) => new(
        r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3), r.GetString(4), r.GetString(5),
        At(r, 6)!.Value, At(r, 7), Money(r, 8)!.Value, At(r, 9)!.Value, At(r, 10), At(r, 11), r.IsDBNull(12) ? null : r.GetString(12),
        r.IsDBNull(13) ? null : new OrderPayment(r.GetString(13), r.GetString(14), r.GetString(15)),
        r.IsDBNull(16) ? null : new OrderRefund(r.GetString(16), Money(r, 17)!.Value), r.GetInt32(18));

    private static DateTimeOffset? At(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(column));

    private static decimal? Money(SqliteDataReader r, int column) => r.IsDBNull(column) ? null : decimal.Parse(r.GetString(column), CultureInfo.InvariantCulture);

    internal static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sqlFile) =>
        new(SqliteDatabase.Scripts.Get(sqlFile), connection, tx);
}

/// <summary>The columns of an intent, bound once per command and set per row (orders and the ledger alike).</summary>
internal sealed class IntentParameters
{
    private readonly SqliteParameter _orderId, _saleId, _userId, _quantity, _requestId, _acceptedAt;

    private IntentParameters(SqliteCommand cmd)
    {
        _orderId = cmd.Parameters.Add("@order_id", SqliteType.Integer);
        _saleId = cmd.Parameters.Add("@sale_id", SqliteType.Integer);
        _userId = cmd.Parameters.Add("@user_id", SqliteType.Text);
        _quantity = cmd.Parameters.Add("@quantity", SqliteType.Integer);
        _requestId = cmd.Parameters.Add("@request_id", SqliteType.Text);
        _acceptedAt = cmd.Parameters.Add("@accepted_at_ms", SqliteType.Integer);
    }

    public static IntentParameters AddTo(SqliteCommand cmd) => new(cmd);

    public void Set(OrderIntent intent)
    {
        _orderId.Value = intent.OrderId;
        _saleId.Value = intent.SaleId;
        _userId.Value = intent.UserId;
        _quantity.Value = intent.Quantity;
        _requestId.Value = intent.RequestId;
        _acceptedAt.Value = intent.AcceptedAtMs;
    }
}
