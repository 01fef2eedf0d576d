using Microsoft.Data.Sqlite;

namespace FlashSale.Testing;

/// <summary>A temporary SQLite file for an embedded server, and direct reads of it (WAL lets us read beside the server).</summary>
public sealed class EmbeddedDatabase : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flashsale-embedded-").FullName;

    public string Path => System.IO.Path.Combine(_dir, "flashsale.db");

    public async Task<List<(long OrderId, string UserId, int Quantity, string Status, string RequestId)>> OrdersAsync(long saleId)
    {
        await using var connection = await OpenAsync(readOnly: true);
        await using var cmd = new SqliteCommand("SELECT order_id, user_id, quantity, status, request_id FROM orders WHERE sale_id = @s", connection);
        cmd.Parameters.AddWithValue("@s", saleId);
        var rows = new List<(long, string, int, string, string)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4)));
        return rows;
    }

    /// <summary>The sale's orders, payments, stock and user totals (<see cref="SettlementAudit"/>).</summary>
    public async Task<SaleBook> BookAsync(long saleId)
    {
        var orders = await QueryAsync("""
            SELECT order_id, user_id, quantity, status, cancel_reason, stock_returned_at_ms IS NOT NULL, amount, payment_id, refund_status, refund_amount
            FROM orders WHERE sale_id = @s
            """, saleId, r => new BookOrder(r.GetInt64(0), r.GetString(1), r.GetInt32(2), r.GetString(3), Text(r, 4), r.GetBoolean(5), Money(r, 6)!.Value,
            Text(r, 7), Text(r, 8), Money(r, 9)));
        var payments = await QueryAsync(
            "SELECT p.payment_id, p.order_id, p.amount, p.status FROM payments p JOIN orders o ON o.order_id = p.order_id WHERE o.sale_id = @s",
            saleId, r => new BookPayment(r.GetString(0), r.GetInt64(1), Money(r, 2)!.Value, r.GetString(3)));
        var totals = await QueryAsync("SELECT user_id, purchased FROM user_purchases WHERE sale_id = @s", saleId, r => (User: r.GetString(0), Units: r.GetInt64(1)));
        return new SaleBook(orders, payments, await ScalarAsync("SELECT available_stock FROM sales WHERE id = @s", saleId), totals.ToDictionary(t => t.User, t => t.Units));

        static string? Text(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
        static decimal? Money(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : decimal.Parse(r.GetString(i), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<List<T>> QueryAsync<T>(string sql, long saleId, Func<SqliteDataReader, T> row)
    {
        await using var connection = await OpenAsync(readOnly: true);
        await using var cmd = new SqliteCommand(sql, connection);
        cmd.Parameters.AddWithValue("@s", saleId);
        var rows = new List<T>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(row(reader));
        return rows;
    }

    /// <summary>One number; <c>@s</c> in the statement is the sale id.</summary>
    public async Task<long> ScalarAsync(string sql, long saleId = 0)
    {
        await using var connection = await OpenAsync(readOnly: true);
        await using var cmd = new SqliteCommand(sql, connection);
        cmd.Parameters.AddWithValue("@s", saleId);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    /// <summary>Changes the file under the running server, as a broken disk or an operator would; the statement must change a row.</summary>
    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var connection = await OpenAsync(readOnly: false);
        await using var cmd = new SqliteCommand(sql, connection);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        (await cmd.ExecuteNonQueryAsync()).Should().BeGreaterThan(0, sql);
    }

    private async Task<SqliteConnection> OpenAsync(bool readOnly)
    {
        var connection = new SqliteConnection($"Data Source={Path};{(readOnly ? "Mode=ReadOnly;" : "")}Pooling=False;Default Timeout=10");
        await connection.OpenAsync();
        return connection;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
