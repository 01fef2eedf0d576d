using System.Data.Common;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Server.Auth;
using FlashSale.Server.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace FlashSale.Server.Apis;

public static class OrdersApi
{
    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/orders/{orderId}", GetOrderAsync).RequireAuthorization();
        app.MapGet("/api/sales/{saleId}/orders/mine", GetMyOrdersAsync).RequireAuthorization();
        return app;
    }

    /// <summary>
    /// The database's order, or, while it is still on its way there, the gate's record of it (status queued).
    /// Both lookups share one deadline (<see cref="PipelineOptions.CallTimeout"/>): a server that does not
    /// answer in time is a 503 unavailable, never a request held open.
    /// </summary>
    private static async Task<Results<Ok<OrderResponse>, ProblemResult>> GetOrderAsync(
        string orderId, HttpContext context, IFlashSaleStore store, IStockGate gate, IOptions<PipelineOptions> options)
    {
        if (!long.TryParse(orderId, out var id)) return Problems.OrderNotFound;
        var user = context.User.UserId();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(options.Value.CallTimeout);
        try
        {
            var order = await store.FindOrderAsync(id, deadline.Token).WaitAsync(deadline.Token);
            if (order is not null) return order.UserId == user ? TypedResults.Ok(OrderResponse.From(order)) : Problems.OrderNotFound;
            var intent = await gate.FindIntentAsync(id, deadline.Token).WaitAsync(deadline.Token);
            // Someone else's order is answered exactly like a missing one.
            return intent is not null && intent.UserId == user ? TypedResults.Ok(OrderResponse.Queued(intent)) : Problems.OrderNotFound;
        }
        catch (Exception ex) when (ex is GateUnavailableException or DbException or TimeoutException
                                       || (ex is OperationCanceledException && !context.RequestAborted.IsCancellationRequested))
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
