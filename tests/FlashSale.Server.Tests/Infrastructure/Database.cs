using Npgsql;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>Direct reads of PostgreSQL, to check what the API says against the system of record.</summary>
public static class Database
{
    private static readonly Lazy<NpgsqlDataSource> Source = new(() => NpgsqlDataSource.Create(TestServices.Postgres));

    public static async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = Source.Value.CreateCommand(sql);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    public static async Task<List<(long OrderId, string UserId, int Quantity, string Status)>> OrdersAsync(long saleId)
    {
        await using var cmd = Source.Value.CreateCommand("SELECT order_id, user_id, quantity, status FROM orders WHERE sale_id = @s");
        cmd.Parameters.AddWithValue("s", saleId);
        var rows = new List<(long, string, int, string)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3)));
        return rows;
    }

    /// <summary>The sale's orders, payments, stock and user totals (<see cref="SettlementAudit"/>).</summary>
    public static async Task<SaleBook> BookAsync(long saleId)
    {
        var orders = await QueryAsync("""
            SELECT order_id, user_id, quantity, status, cancel_reason, stock_returned_at IS NOT NULL, amount, payment_id, refund_status, refund_amount
            FROM orders WHERE sale_id = @s
            """, saleId, r => new BookOrder(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), Text(r, 4), r.GetBoolean(5), r.GetDecimal(6),
            Text(r, 7), Text(r, 8), r.IsDBNull(9) ? null : r.GetDecimal(9)));
        var payments = await QueryAsync(
            "SELECT p.payment_id, p.order_id, p.amount, p.status FROM payments p JOIN orders o ON o.order_id = p.order_id WHERE o.sale_id = @s",
            saleId, r => new BookPayment(r.GetString(0), r.GetInt64(1), r.GetDecimal(2), r.GetString(3)));
        var totals = await QueryAsync("SELECT user_id, purchased FROM user_purchases WHERE sale_id = @s", saleId, r => (User: r.GetString(0), Units: (long)r.GetInt32(1)));
        var available = await ScalarAsync<int>("SELECT available_stock FROM sales WHERE id = @s", ("s", saleId));
        return new SaleBook(orders, payments, available, totals.ToDictionary(t => t.User, t => t.Units));

        static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
    }

    private static async Task<List<T>> QueryAsync<T>(string sql, long saleId, Func<NpgsqlDataReader, T> row)
    {
        await using var cmd = Source.Value.CreateCommand(sql);
        cmd.Parameters.AddWithValue("s", saleId);
        var rows = new List<T>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(row(reader));
        return rows;
    }

    public static async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = Source.Value.CreateCommand(sql);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        await cmd.ExecuteNonQueryAsync();
    }
}
