using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using FlashSale.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlashSale.Server.Apis;

public static class SalesApi
{
    public static IEndpointRouteBuilder MapSalesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/time", (TimeProvider time) =>
        {
            var now = time.GetUtcNow();
            return TypedResults.Ok(new TimeResponse(now, now.ToUnixTimeMilliseconds()));
        });
        app.MapGet("/api/sales/{saleId}", GetSaleAsync);
        return app;
    }

    private static async Task<Results<Ok<SaleResponse>, ProblemResult>> GetSaleAsync(
        string saleId, SaleCatalog catalog, IStockGate gate, IFlashSaleStore store, TimeProvider time, CancellationToken cancellationToken)
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
        return TypedResults.Ok(SaleResponse.From(sale, state, remaining));
    }
}
