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

    public static async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var cmd = Source.Value.CreateCommand(sql);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        await cmd.ExecuteNonQueryAsync();
    }
}
