
namespace FlashSale.Server.Apis;

public static class SalesApi
{
    /// <summary>The server's clock, for the page's countdown.</summary>
    internal static Ok<TimeResponse> Time(TimeProvider time)
    {
        var now = time.GetUtcNow();
        return TypedResults.Ok(new TimeResponse(now, now.ToUnixTimeMilliseconds()));
    }

    /// <summary>The sale as its page shows it; its protection thresholds only to an admin (the right X-Admin-Key).</summary>
    internal static async Task<Results<Ok<SaleResponse>, ProblemResult>> GetSaleAsync(
        string saleId, HttpContext context, SaleCatalog catalog, IStockGate gate, IFlashSaleStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!long.TryParse(saleId, out var id)) return Problems.SaleNotFound;
        var sale = await catalog.FindAsync(id, cancellationToken);
        if (sale is null) return Problems.SaleNotFound;
        long remaining;
        try
        {
            remaining = (await gate.GetCountersAsync(id, cancellationToken))?.Remaining
                        ?? (await store.GetCountersAsync(id, cancellationToken)).AvailableStock;
        }
        catch (GateUnavailableException)
        {
            remaining = (await store.GetCountersAsync(id, cancellationToken)).AvailableStock;
        }
        var state = sale.WindowAt(time.GetUtcNow()) switch
        {
            SaleWindow.Upcoming => "upcoming",
            SaleWindow.Ended => "ended",
            _ => remaining <= 0 ? "sold_out" : "active",
        };
        return TypedResults.Ok(SaleResponse.From(sale, state, remaining, allRules: AdminApi.IsAdmin(context)));
    }
}

public sealed record TimeResponse(DateTimeOffset Now, long EpochMs);

public sealed record SaleResponse(
    string SaleId, string Name, string ProductId, decimal Price, int Stock, int PerUserLimit,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, int PaymentTimeoutSeconds, string State, long Remaining, SaleGatewayRules GatewayRules)
{
    private static readonly SaleGatewayRules TokenRequired = new(RequireToken: true);

    /// <param name="allRules">Show the sale's gateway rules whole: its rate limits and risk scores are for admins only (bots
    /// would tune to them); anyone else sees whether a purchase token is required, which the sale page needs.</param>
    public static SaleResponse From(Sale sale, string state, long remaining, bool allRules)
    {
        var rules = sale.GatewayRules ?? SaleGatewayRules.Default;
        return new(ApiId.Of(sale.Id), sale.Name, sale.ProductId, sale.Price, sale.Stock, sale.PerUserLimit,
            sale.StartsAt, sale.EndsAt, sale.PaymentTimeoutSeconds, state, remaining,
            allRules ? rules : rules.RequireToken ? TokenRequired : SaleGatewayRules.Default);
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TimeResponse))]
[JsonSerializable(typeof(SaleResponse))]
public sealed partial class SalesJson : JsonSerializerContext;
