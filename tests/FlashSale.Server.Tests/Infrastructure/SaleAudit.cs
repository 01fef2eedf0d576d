using System.Text.Json.Nodes;
using Npgsql;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>After a sale has drained: what the clients were told against what PostgreSQL and the gate hold.</summary>
public static class SaleAudit
{
    public sealed record Order(long OrderId, string UserId, int Quantity, string Status, string RequestId);

    /// <summary>What the system of record holds for one sale.</summary>
    public sealed record Record(List<Order> Orders, long AvailableStock, long UserTotals);

    public static Func<Task<Record>> Postgres(NpgsqlDataSource db, string saleId) => async () =>
    {
        var id = long.Parse(saleId, System.Globalization.CultureInfo.InvariantCulture);
        var orders = await OrdersAsync(db, id);
        await using var stock = db.CreateCommand("SELECT available_stock FROM sales WHERE id = @s");
        stock.Parameters.AddWithValue("s", id);
        var available = (int)(await stock.ExecuteScalarAsync())!;
        await using var totals = db.CreateCommand("SELECT coalesce(sum(purchased),0) FROM user_purchases WHERE sale_id = @s");
        totals.Parameters.AddWithValue("s", id);
        return new Record(orders, available, (long)(await totals.ExecuteScalarAsync())!);
    };

    public static Func<Task<Record>> Sqlite(EmbeddedDatabase db, string saleId) => async () =>
    {
        var id = long.Parse(saleId, System.Globalization.CultureInfo.InvariantCulture);
        var orders = (await db.OrdersAsync(id)).Select(o => new Order(o.OrderId, o.UserId, o.Quantity, o.Status, o.RequestId)).ToList();
        return new Record(orders, await db.ScalarAsync("SELECT available_stock FROM sales WHERE id = @s", id),
            await db.ScalarAsync("SELECT coalesce(sum(purchased),0) FROM user_purchases WHERE sale_id = @s", id));
    };

    public static async Task<List<Order>> OrdersAsync(NpgsqlDataSource db, long saleId)
    {
        await using var cmd = db.CreateCommand("SELECT order_id, user_id, quantity, status, request_id FROM orders WHERE sale_id = @s");
        cmd.Parameters.AddWithValue("s", saleId);
        var rows = new List<Order>();
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(new Order(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4)));
        return rows;
    }

    /// <summary>Stats while servers may be failing: null instead of an exception (bounded by the client's timeout).</summary>
    public static async Task<JsonObject?> TryStatsAsync(FlashSaleClient client, string saleId)
    {
        try
        {
            var (status, body) = await client.GetStatsAsync(saleId);
            return status == 200 ? body : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Polls (bounded) until the condition holds on the sale's stats.</summary>
    public static async Task<JsonObject> UntilAsync(FlashSaleClient client, string saleId, Func<JsonObject, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonObject? last = null;
        while (DateTime.UtcNow < deadline)
        {
            if (await TryStatsAsync(client, saleId) is { } stats)
            {
                last = stats;
                if (condition(stats)) return stats;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{what} not reached within {timeout}: {last?.ToJsonString()}");
    }

    public static long Long(this JsonObject stats, string name) => stats[name]!.GetValue<long>();

    /// <summary>
    /// The invariants of every chaos scenario: every 202 has its order (right user, quantity), sold within
    /// stock, no user over the limit, the database's stock and totals agree with its orders, the gate agrees
    /// with the database, and an order nobody was told about belongs to an attempt whose answer was lost.
    /// </summary>
    public static async Task<JsonObject> VerifyAsync(FlashSaleClient client, Func<Task<Record>> records, string saleId, int stock, int limit, IReadOnlyList<PurchaseAttempt> attempts)
    {
        var stats = await UntilAsync(client, saleId, s => s.Long("accepted") == s.Long("persisted") && s.Long("remainingInGate") >= 0, TimeSpan.FromSeconds(90),
            "the pipeline drained (gate accepted == persisted)");
        var record = await records();
        var orders = record.Orders;
        var live = orders.Where(o => o.Status != "failed").ToList();
        var byId = orders.ToDictionary(o => o.OrderId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var accepted = attempts.Where(a => a.Accepted).ToList();
        foreach (var a in accepted)
        {
            byId.Should().ContainKey(a.Final.OrderId!, $"the 202 of {a.UserId}/{a.RequestId} has its order in PostgreSQL");
            var order = byId[a.Final.OrderId!];
            order.UserId.Should().Be(a.UserId);
            order.Quantity.Should().Be(a.Quantity);
            order.RequestId.Should().Be(a.RequestId);
            order.Status.Should().Be("pending_payment", $"order {order.OrderId} was answered 202");
        }
        accepted.Select(a => a.Final.OrderId).Should().OnlyHaveUniqueItems("one order per accepted attempt");
        live.Sum(o => o.Quantity).Should().BeLessThanOrEqualTo(stock, "never oversold");
        live.GroupBy(o => o.UserId).Should().OnlyContain(g => g.Sum(o => o.Quantity) <= limit, "no user above the limit in the database");
        live.GroupBy(o => (o.UserId, o.RequestId)).Should().OnlyContain(g => g.Count() == 1, "one order per (user, requestId)");

        var told = accepted.Select(a => (a.UserId, a.RequestId)).ToHashSet();
        var mayBeLost = attempts.Where(a => a.AnswerMayBeLost).Select(a => (a.UserId, a.RequestId)).ToHashSet();
        live.Where(o => !told.Contains((o.UserId, o.RequestId)) && !mayBeLost.Contains((o.UserId, o.RequestId)))
            .Should().BeEmpty("an order nobody was told about belongs to an attempt whose answer was lost");

        var sold = live.Sum(o => o.Quantity);
        record.AvailableStock.Should().Be(stock - sold, "the database's stock agrees with its orders");
        record.UserTotals.Should().Be(sold, "the users' totals agree with the orders");
        stats.Long("accepted").Should().Be(sold, "the gate's accepted units == the database's sold units");
        stats.Long("persisted").Should().Be(sold);
        stats.Long("remainingInGate").Should().Be(stats.Long("remainingInDb"), "the gate's stock == the database's stock");
        return stats;
    }
}
