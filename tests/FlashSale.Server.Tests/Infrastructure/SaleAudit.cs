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

    /// <summary>
    /// Waits (at most 90 s) until the gate's accepted units are all persisted, or until nothing has moved
    /// for 10 s (a gate and a database that disagree for good): the audit then says how.
    /// </summary>
    public static async Task<JsonObject> DrainedAsync(FlashSaleClient client, string saleId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        string? last = null;
        var since = DateTime.UtcNow;
        while (true)
        {
            if (await TryStatsAsync(client, saleId) is { } stats)
            {
                if (stats.Long("accepted") == stats.Long("persisted")) return stats;
                var now = $"{stats.Long("accepted")}/{stats.Long("persisted")}/{stats.Long("returned")}/{stats.Long("remainingInGate")}/{stats.Long("remainingInDb")}";
                if (now != last) (last, since) = (now, DateTime.UtcNow);
                else if (DateTime.UtcNow - since > TimeSpan.FromSeconds(10) || DateTime.UtcNow > deadline) return stats;
            }
            else if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the sale's stats stayed unavailable");
            }
            await Task.Delay(200);
        }
    }

    public static long Long(this JsonObject stats, string name) => stats[name]!.GetValue<long>();

    /// <summary>
    /// The invariants of every chaos scenario: every 202 has its order (right user, quantity), sold within
    /// stock, no user over the limit, the database's stock and totals agree with its orders, the gate agrees
    /// with the database, and an order nobody was told about belongs to an attempt whose answer was lost.
    /// </summary>
    public static async Task<JsonObject> VerifyAsync(FlashSaleClient client, Func<Task<Record>> records, string saleId, int stock, int limit, IReadOnlyList<PurchaseAttempt> attempts)
    {
        var stats = await DrainedAsync(client, saleId);
        var record = await records();
        var orders = record.Orders;
        var live = orders.Where(o => o.Status != "failed").ToList();
        var byId = orders.ToDictionary(o => o.OrderId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var accepted = attempts.Where(a => a.Accepted).ToList();
        // Every broken promise is collected, so that a failing run says how much broke, not just the first case.
        var violations = new List<string>();
        void Check(IEnumerable<string> found, string rule)
        {
            var list = found.ToList();
            if (list.Count > 0) violations.Add($"{rule}: {list.Count} (e.g. {string.Join("; ", list.Take(5))})");
        }
        Check(accepted.Where(a => !byId.ContainsKey(a.Final.OrderId!)).Select(a => $"{a.UserId}/{a.RequestId} -> {a.Final.OrderId}"),
            "202s without their order in the database");
        Check(accepted.Where(a => byId.TryGetValue(a.Final.OrderId!, out var o) && (o.UserId != a.UserId || o.Quantity != a.Quantity || o.RequestId != a.RequestId || o.Status != "pending_payment"))
                .Select(a => $"{a.UserId}/{a.RequestId} x{a.Quantity} -> {byId[a.Final.OrderId!]}"),
            "202s whose order differs (user, quantity, requestId, status)");
        Check(accepted.GroupBy(a => a.Final.OrderId).Where(g => g.Count() > 1).Select(g => $"{g.Key} x{g.Count()}"), "order ids answered twice");
        var sold = live.Sum(o => o.Quantity);
        if (sold > stock) violations.Add($"oversold: {sold} units in orders for a stock of {stock}");
        Check(live.GroupBy(o => o.UserId).Where(g => g.Sum(o => o.Quantity) > limit).Select(g => $"{g.Key}: {g.Sum(o => o.Quantity)}"), "users above the limit in the database");
        Check(accepted.GroupBy(a => a.UserId).Where(g => g.Sum(a => a.Quantity) > limit).Select(g => $"{g.Key}: {g.Sum(a => a.Quantity)}"), "users answered 202 for more than the limit");
        Check(live.GroupBy(o => (o.UserId, o.RequestId)).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {g.Count()} orders"), "several orders for one (user, requestId)");
        Check(orders.Where(o => o.Status == "failed").Select(o => $"{o.OrderId} {o.UserId}"), "failed orders (refused by the database)");

        var told = accepted.Select(a => (a.UserId, a.RequestId)).ToHashSet();
        var mayBeLost = attempts.Where(a => a.AnswerMayBeLost).Select(a => (a.UserId, a.RequestId)).ToHashSet();
        Check(live.Where(o => !told.Contains((o.UserId, o.RequestId)) && !mayBeLost.Contains((o.UserId, o.RequestId))).Select(o => $"{o.UserId}/{o.RequestId}"),
            "orders nobody was told about whose answer was not lost");

        if (record.AvailableStock != stock - sold) violations.Add($"database stock {record.AvailableStock} != stock - sold = {stock - sold}");
        if (record.UserTotals != sold) violations.Add($"database user totals {record.UserTotals} != sold {sold}");
        if (stats.Long("accepted") != sold) violations.Add($"gate accepted {stats.Long("accepted")} != database sold {sold}");
        if (stats.Long("remainingInGate") != stats.Long("remainingInDb")) violations.Add($"gate stock {stats.Long("remainingInGate")} != database stock {stats.Long("remainingInDb")}");
        violations.Should().BeEmpty($"the sale must keep its promises ({accepted.Count} answered 202, {sold} units in the database, stats {stats.ToJsonString()})");
        return stats;
    }
}
