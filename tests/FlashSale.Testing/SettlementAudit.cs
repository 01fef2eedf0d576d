using System.Globalization;
using System.Text.Json.Nodes;

namespace FlashSale.Testing;

/// <summary>One order as the database holds it.</summary>
public sealed record BookOrder(long OrderId, string UserId, int Quantity, string Status, string? CancelReason, bool StockReturned, decimal Amount,
    string? PaymentId, string? RefundStatus, decimal? RefundAmount)
{
    public string Id => OrderId.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>paid</c>, <c>cancelled:timeout</c>, <c>cancelled:user</c>, ...: how the order ended (or its status while it has not).</summary>
    public string Outcome => Status == "cancelled" ? $"cancelled:{CancelReason}" : Status;
}

/// <summary>One payment the database recorded (succeeded, or owed back: refund_pending, refunded).</summary>
public sealed record BookPayment(string PaymentId, long OrderId, decimal Amount, string Status);

/// <summary>What the system of record holds for one sale: its orders, their payments, its stock and the users' totals.</summary>
public sealed record SaleBook(IReadOnlyList<BookOrder> Orders, IReadOnlyList<BookPayment> Payments, long AvailableStock, IReadOnlyDictionary<string, long> UserTotals);

/// <summary>
/// After a sale's orders have lived their lives (paid, cancelled by the buyer, an admin or the payment timeout): every
/// order ended exactly one way, every unit went back once and only for cancelled orders, the stock and the users'
/// totals add up in the database and in the gate, every payment the orders did not take is owed back (and refunded
/// when the sandbox took it), and reconciliation finds nothing.
/// </summary>
public static class SettlementAudit
{
    /// <summary>Payments the built-in sandbox took: it can refund them (a made-up webhook payment stays owed).</summary>
    public static bool TakenBySandbox(BookPayment payment) => payment.PaymentId.StartsWith("sandbox_pay_", StringComparison.Ordinal);

    /// <summary>
    /// Polls (at most <paramref name="timeout"/>, 60 s unless told) until the sale is settled and keeps every promise,
    /// then reconciles it; fails with every broken promise of the last look otherwise. <paramref name="expected"/> gives,
    /// for orders the test acted on, the outcomes each may have (see <see cref="BookOrder.Outcome"/>); every such order
    /// must exist. Returns the book and the stats it was checked against.
    /// </summary>
    public static async Task<(SaleBook Book, JsonObject Stats)> VerifyAsync(FlashSaleClient client, string saleId, int stock, Func<Task<SaleBook>> read,
        IReadOnlyDictionary<string, string[]>? expected = null, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var stats = await client.StatsAsync(saleId);
            var book = await read();
            var violations = Violations(book, stats, stock, expected);
            if (violations.Count == 0)
            {
                var report = await client.ReconcileUntilAsync(saleId, r => r.Status() == "clean");
                report.Status().Should().Be("clean", $"a settled sale reconciles clean: {report.ToJsonString()}");
                return (book, stats);
            }
            if (DateTime.UtcNow > deadline)
            {
                violations.Should().BeEmpty($"the settled sale must keep its promises ({book.Orders.Count} orders, {book.Payments.Count} payments, stats {stats.ToJsonString()})");
            }
            await Task.Delay(250);
        }
    }

    /// <summary>Every broken promise, counted with a few examples each.</summary>
    public static List<string> Violations(SaleBook book, JsonObject stats, int stock, IReadOnlyDictionary<string, string[]>? expected = null)
    {
        var violations = new List<string>();
        void Check(IEnumerable<string> found, string rule)
        {
            var list = found.ToList();
            if (list.Count > 0) violations.Add($"{rule}: {list.Count} (e.g. {string.Join("; ", list.Take(5))})");
        }
        void Equal(long actual, long wanted, string what)
        {
            if (actual != wanted) violations.Add($"{what}: {actual}, expected {wanted}");
        }

        var orders = book.Orders;
        var byId = orders.ToDictionary(o => o.Id);
        Check(orders.Where(o => o.Status is not ("paid" or "cancelled")).Select(o => $"{o.Id} {o.Status}"), "orders not ended (paid or cancelled)");
        Check(orders.Where(o => o.Status == "cancelled" && o.CancelReason is not ("timeout" or "user" or "admin")).Select(o => $"{o.Id} {o.CancelReason}"), "cancelled orders without a reason");
        if (expected is not null)
        {
            Check(expected.Keys.Where(id => !byId.ContainsKey(id)), "orders answered 202 missing from the database");
            Check(expected.Where(e => byId.TryGetValue(e.Key, out var o) && !e.Value.Contains(o.Outcome))
                .Select(e => $"{e.Key} {byId[e.Key].Outcome}, expected {string.Join(" or ", e.Value)}"), "orders that ended another way");
        }
        Check(orders.Where(o => o.Status == "cancelled" && !o.StockReturned).Select(o => o.Id), "cancelled orders whose units the gate has not taken back");
        Check(orders.Where(o => o.Status != "cancelled" && o.StockReturned).Select(o => $"{o.Id} {o.Status}"), "orders not cancelled whose units went back");

        var cancelled = orders.Where(o => o.Status == "cancelled").Sum(o => (long)o.Quantity);
        var paid = orders.Where(o => o.Status == "paid").Sum(o => (long)o.Quantity);
        var pending = orders.Where(o => o.Status == "pending_payment").Sum(o => (long)o.Quantity);
        if (paid > stock) violations.Add($"oversold: {paid} units paid for a stock of {stock}");
        Equal(stats.Long("returned"), cancelled, "units the gate took back vs units of cancelled orders");
        Equal(book.AvailableStock, stock - paid - pending, "database available stock vs stock - paid - pending");
        Equal(stats.Long("accepted"), paid + pending, "gate's units held by live orders vs the database's");
        Equal(stats.Long("persisted"), paid + pending, "persisted units vs the database's live units");
        Equal(stats.Long("remainingInGate"), stats.Long("remainingInDb"), "gate's remaining stock vs the database's");
        foreach (var status in new[] { "pending_payment", "paid", "cancelled", "failed" })
        {
            Equal(stats["ordersByStatus"]![status]!.GetValue<long>(), orders.Count(o => o.Status == status), $"stats' {status} orders vs the database's");
        }
        var live = orders.Where(o => o.Status is "paid" or "pending_payment").GroupBy(o => o.UserId).ToDictionary(g => g.Key, g => g.Sum(o => (long)o.Quantity));
        Check(live.Keys.Union(book.UserTotals.Keys).Where(u => live.GetValueOrDefault(u) != book.UserTotals.GetValueOrDefault(u))
            .Select(u => $"{u}: {book.UserTotals.GetValueOrDefault(u)} recorded, {live.GetValueOrDefault(u)} in live orders"), "user totals that differ from their paid and pending units");

        var payments = book.Payments.ToLookup(p => p.OrderId);
        Check(book.Payments.Where(p => !byId.ContainsKey(p.OrderId.ToString(CultureInfo.InvariantCulture))).Select(p => p.PaymentId), "payments of orders not in the sale");
        Check(book.Payments.Where(p => byId.TryGetValue(p.OrderId.ToString(CultureInfo.InvariantCulture), out var o) && p.Amount != o.Amount)
            .Select(p => $"{p.PaymentId}: {p.Amount}"), "payments of another amount than their order's");
        foreach (var order in orders)
        {
            var taken = payments[order.OrderId].Where(p => p.Status == "succeeded").ToList();
            var owed = payments[order.OrderId].Where(p => p.Status != "succeeded").ToList();
            if (order.Status == "paid" && (taken.Count != 1 || taken[0].PaymentId != order.PaymentId))
            {
                violations.Add($"paid order {order.Id} (payment {order.PaymentId}) has {taken.Count} payments taken: {string.Join(", ", taken.Select(p => p.PaymentId))}");
            }
            if (order.Status != "paid" && taken.Count > 0) violations.Add($"{order.Status} order {order.Id} kept payments {string.Join(", ", taken.Select(p => p.PaymentId))}");
            Check(owed.Where(p => p.Status != "refunded" && (TakenBySandbox(p) || p.Status != "refund_pending")).Select(p => $"{p.PaymentId} {p.Status}"),
                $"payments of order {order.Id} not honoured and not refunded");
            var refundStatus = owed.Count == 0 ? null : owed.All(p => p.Status == "refunded") ? "refunded" : "refund_pending";
            if (order.RefundStatus != refundStatus || (order.RefundAmount ?? 0) != owed.Sum(p => p.Amount))
            {
                violations.Add($"order {order.Id} shows refund {order.RefundStatus} {order.RefundAmount} for {owed.Count} payments owed back ({owed.Sum(p => p.Amount)})");
            }
        }
        return violations;
    }

    private static long Long(this JsonObject stats, string name) => stats[name]!.GetValue<long>();
}
