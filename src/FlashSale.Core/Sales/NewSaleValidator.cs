using FlashSale.Core.Purchasing;

namespace FlashSale.Core.Sales;

public static class NewSaleValidator
{
    public const int MaxStock = 100_000_000;
    public const int MaxPerUserLimit = 1_000;
    public const int MaxNameLength = 200;
    public const int MaxProductIdLength = 64;

    /// <summary>startsAt and endsAt lie in [<see cref="EarliestDate"/>, <see cref="LatestDate"/>): anything else is a mistake,
    /// and dates near the ends of <see cref="DateTimeOffset"/> overflow the arithmetic done on them (lead times, retention).</summary>
    public static readonly DateTimeOffset EarliestDate = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset LatestDate = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Returns null when the sale the operator asks for is valid, else a human-readable reason.</summary>
    public static string? Validate(Sale sale)
    {
        if (!Identifiers.IsStorableText(sale.Name, MaxNameLength))
            return $"name is required: at most {MaxNameLength} characters, without control characters or unpaired surrogates";
        if (!Identifiers.IsStorableText(sale.ProductId, MaxProductIdLength))
            return $"productId is required: at most {MaxProductIdLength} characters, without control characters or unpaired surrogates";
        if (sale.Price < 0 || sale.Price > 1_000_000_000m)
            return "price must be between 0 and 1,000,000,000";
        if (sale.Stock < 1 || sale.Stock > MaxStock)
            return $"stock must be between 1 and {MaxStock}";
        if (sale.PerUserLimit < 1 || sale.PerUserLimit > MaxPerUserLimit)
            return $"perUserLimit must be between 1 and {MaxPerUserLimit}";
        if (sale.StartsAt < EarliestDate || sale.StartsAt >= LatestDate || sale.EndsAt < EarliestDate || sale.EndsAt >= LatestDate)
            return "startsAt and endsAt must be between 2000-01-01 and 9000-01-01";
        if (sale.EndsAt <= sale.StartsAt)
            return "endsAt must be after startsAt";
        if (sale.PaymentTimeoutSeconds < 10 || sale.PaymentTimeoutSeconds > 86_400)
            return "paymentTimeoutSeconds must be between 10 and 86400";
        if (sale.GatewayRules is { } p && (p.UserRequestsPerWindow < 0 || p.IpRequestsPerWindow < 0 || p.RiskChallengeScore < 0 || p.RiskRejectScore < 0))
            return "gateway rules: limits and scores must not be negative";
        return null;
    }
}
