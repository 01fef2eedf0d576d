using Microsoft.Data.Sqlite;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>A temporary SQLite file for an embedded server, and direct reads of it (WAL lets us read beside the server).</summary>
public sealed class EmbeddedDatabase : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("flashsale-embedded-").FullName;

    public string Path => System.IO.Path.Combine(_dir, "flashsale.db");

    public async Task<List<(long OrderId, string UserId, int Quantity, string Status, string RequestId)>> OrdersAsync(long saleId)
    {
        await using var connection = new SqliteConnection($"Data Source={Path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var cmd = new SqliteCommand("SELECT order_id, user_id, quantity, status, request_id FROM orders WHERE sale_id = @s", connection);
        cmd.Parameters.AddWithValue("@s", saleId);
        var rows = new List<(long, string, int, string, string)>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4)));
        return rows;
    }

    public async Task<long> ScalarAsync(string sql, long saleId)
    {
        await using var connection = new SqliteConnection($"Data Source={Path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var cmd = new SqliteCommand(sql, connection);
        cmd.Parameters.AddWithValue("@s", saleId);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync());
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
