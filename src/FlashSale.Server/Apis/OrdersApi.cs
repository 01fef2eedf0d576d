using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Server.Auth;
using FlashSale.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlashSale.Server.Apis;

public static class OrdersApi
{
    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/orders/{orderId}", GetOrderAsync).RequireAuthorization();
        app.MapGet("/api/sales/{saleId}/orders/mine", GetMyOrdersAsync).RequireAuthorization();
        return app;
    }

    /// <summary>The database's order, or, while it is still on its way there, the gate's record of it (status queued).</summary>
    private static async Task<Results<Ok<OrderResponse>, ProblemResult>> GetOrderAsync(
        string orderId, HttpContext context, IFlashSaleStore store, IStockGate gate)
    {
        if (!long.TryParse(orderId, out var id)) return Problems.OrderNotFound;
        var user = context.User.UserId();
        var order = await store.FindOrderAsync(id, context.RequestAborted);
        if (order is not null) return order.UserId == user ? TypedResults.Ok(OrderResponse.From(order)) : Problems.OrderNotFound;
        try
        {
            var intent = await gate.FindIntentAsync(id, context.RequestAborted);
            // Someone else's order is answered exactly like a missing one.
            return intent is not null && intent.UserId == user ? TypedResults.Ok(OrderResponse.Queued(intent)) : Problems.OrderNotFound;
        }
        catch (GateUnavailableException)
        {
            return Problems.Unavailable;
        }
    }

    private static async Task<Results<Ok<IReadOnlyList<OrderResponse>>, ProblemResult>> GetMyOrdersAsync(
        string saleId, HttpContext context, IFlashSaleStore store)
    {
        if (!long.TryParse(saleId, out var id)) return Problems.SaleNotFound;
        if (await store.FindSaleAsync(id, context.RequestAborted) is null) return Problems.SaleNotFound;
        var orders = await store.GetUserOrdersAsync(id, context.User.UserId(), context.RequestAborted);
        return TypedResults.Ok<IReadOnlyList<OrderResponse>>(orders.Select(OrderResponse.From).ToArray());
    }
}
