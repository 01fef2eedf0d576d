using Npgsql;
using StackExchange.Redis;

namespace FlashSale.Bench;

/// <summary>
/// How the bench sees a redis-gate sale settle without asking the server for its stats: the gate's accepted units from
/// the sale's meta hash in Redis, and the persisted units as stock − available stock from its row in PostgreSQL (the
/// reconciler's invariant: stock = available + pending + paid). Both are single-key reads. The stats endpoint counts the
/// sale's orders by status, a scan of every order: polled every 20 ms on a sale of 100,000 orders it took most of
/// PostgreSQL's CPU, which the contested phase then charged to the purchases.
/// </summary>
public sealed class SettleProbe(IConnectionMultiplexer redis, NpgsqlDataSource postgres) : IAsyncDisposable
{
    public static async Task<SettleProbe> ConnectAsync(IReadOnlyDictionary<string, string> services) =>
        new(await ConnectionMultiplexer.ConnectAsync(services["ConnectionStrings__Redis"]), NpgsqlDataSource.Create(services["ConnectionStrings__Postgres"]));

    public async Task<(long Accepted, long Persisted)> ReadAsync(long saleId)
    {
        var accepted = await redis.GetDatabase().HashGetAsync(FlashSale.Redis.RedisKeys.For(saleId).Meta, "accepted");
        await using var cmd = postgres.CreateCommand("SELECT stock - available_stock FROM sales WHERE id = @id");
        cmd.Parameters.AddWithValue("id", saleId);
        var persisted = await cmd.ExecuteScalarAsync();
        return (accepted.IsNull ? 0 : (long)accepted, persisted is null ? 0 : Convert.ToInt64(persisted, System.Globalization.CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        await postgres.DisposeAsync();
        redis.Dispose();
    }
}
