namespace FlashSale.Core.Sales;

/// <summary>A sale as defined by the operator; immutable once created.</summary>
public sealed record Sale(
    long Id,
    string Name,
    string ProductId,
    decimal Price,
    int Stock,
    int PerUserLimit,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    int PaymentTimeoutSeconds)
{
    public SaleWindow WindowAt(DateTimeOffset now) =>
        now < StartsAt ? SaleWindow.Upcoming : now >= EndsAt ? SaleWindow.Ended : SaleWindow.Open;
}

public enum SaleWindow { Upcoming, Open, Ended }

/// <summary>What the operator asks for; validated by <see cref="NewSaleValidator"/>.</summary>
public sealed record NewSale(
    string Name,
    string ProductId,
    decimal Price,
    int Stock,
    int PerUserLimit,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    int PaymentTimeoutSeconds);

/// <summary>Persisted stock and per-user totals: what the gate is rebuilt from.</summary>
public sealed record SaleStockSnapshot(Sale Sale, int AvailableStock, IReadOnlyDictionary<string, int> UserTotals);
