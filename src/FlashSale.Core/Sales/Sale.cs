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
    int PaymentTimeoutSeconds,
    SaleProtection? Protection = null)
{
    /// <summary>This sale's gateway settings; what it leaves unset comes from FlashSale:Gateway.</summary>
    public SaleProtection Guard => Protection ?? SaleProtection.Default;

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
    int PaymentTimeoutSeconds,
    SaleProtection? Protection = null);

/// <summary>Persisted stock and per-user totals: what the gate is rebuilt from.</summary>
public sealed record SaleStockSnapshot(Sale Sale, int AvailableStock, IReadOnlyDictionary<string, int> UserTotals);

/// <summary>Per-sale gateway settings (issue: gateway protection). Null fields fall back to FlashSale:Gateway.</summary>
/// <param name="RequireToken">Purchases need a captcha-backed purchase token.</param>
public sealed record SaleProtection(
    bool RequireToken = false,
    int? UserRequestsPerSecond = null,
    int? IpRequestsPerSecond = null,
    int? RiskChallengeScore = null,
    int? RiskRejectScore = null)
{
    public static readonly SaleProtection Default = new();
}
