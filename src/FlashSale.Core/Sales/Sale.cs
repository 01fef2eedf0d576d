using FlashSale.Core.Orders;

namespace FlashSale.Core.Sales;

/// <summary>A sale as defined by the operator (a new one is checked by <see cref="NewSaleValidator"/>); immutable once created.</summary>
public sealed record Sale(
    long Id,
    string Name,
    string ProductId,
    decimal Price,
    int Stock,
    int PerUserLimit,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    int PaymentTimeoutSeconds,
    SaleGatewayRules? GatewayRules = null)
{
    public SaleWindow WindowAt(DateTimeOffset now) =>
        now < StartsAt ? SaleWindow.Upcoming : now >= EndsAt ? SaleWindow.Ended : SaleWindow.Open;
}

public enum SaleWindow { Upcoming, Open, Ended }

/// <summary>
/// What the gate is (re)built from: the sale and every order the database holds for it (plus, where a gate
/// kept them, the intents not yet persisted). Stock left and user totals follow from the live orders.
/// </summary>
/// <param name="GateLoaded">The gate has held this sale before: should its state be gone, so may intents not yet persisted.</param>
public sealed record SaleStockSnapshot(Sale Sale, IReadOnlyList<StoredOrder> Orders, bool GateLoaded = false)
{
    public static SaleStockSnapshot Empty(Sale sale) => new(sale, []);

    public int AvailableStock => Sale.Stock - Orders.Where(o => o.TakesStock).Sum(o => o.Quantity);

    public IReadOnlyDictionary<string, int> UserTotals =>
        Orders.Where(o => o.TakesStock).GroupBy(o => o.UserId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(o => o.Quantity), StringComparer.Ordinal);

    /// <summary>This snapshot plus the intents not in it (accepted, not yet persisted), which take stock too.</summary>
    public SaleStockSnapshot WithUnpersisted(IEnumerable<OrderIntent> intents)
    {
        var known = Orders.Select(o => o.OrderId).ToHashSet();
        var added = intents.Where(i => known.Add(i.OrderId)).Select(i => new StoredOrder(i.OrderId, i.UserId, i.Quantity, i.RequestId, OrderStatus.Queued, i.AcceptedAtMs));
        return this with { Orders = [.. Orders, .. added] };
    }
}

/// <summary>An order of a sale as the stores hold it (or, <c>queued</c>, an intent not yet persisted): what the gate is
/// rebuilt from and what reconciliation compares.</summary>
public sealed record StoredOrder(long OrderId, string UserId, int Quantity, string RequestId, string Status, long AcceptedAtMs)
{
    /// <summary>False for a failed or cancelled order: its units went back.</summary>
    public bool TakesStock => OrderStatus.TakesStock(Status);
}

/// <summary>A sale's own gateway rules; a sale without them, and every null field, takes FlashSale:Gateway's.</summary>
/// <param name="RequireToken">Purchases need a captcha-backed purchase token.</param>
public sealed record SaleGatewayRules(
    bool RequireToken = false,
    int? UserRequestsPerWindow = null,
    int? IpRequestsPerWindow = null,
    int? RiskChallengeScore = null,
    int? RiskRejectScore = null)
{
    public static readonly SaleGatewayRules Default = new();
}
