using System.Data.Common;
using FlashSale.Core.Pipeline;

namespace FlashSale.Server.Apis;

public static class OrdersApi
{
    /// <summary>
    /// The database's order, or, while it is still on its way there, the gate's record of it (status queued).
    /// Both lookups share one deadline (<see cref="PipelineOptions.CallTimeout"/>): a server that does not
    /// answer in time is a 503 unavailable, never a request held open.
    /// </summary>
    internal static async Task<Results<Ok<OrderResponse>, ProblemResult>> GetOrderAsync(
        string orderId, HttpContext context, IFlashSaleStore store, IStockGate gate, IOptions<PipelineOptions> options)
    {
        if (!long.TryParse(orderId, out var id)) return Problems.OrderNotFound;
        try
        {
            var order = await FindOwnOrderAsync(id, context.User.UserId(), store, gate, options.Value.CallTimeout, context.RequestAborted);
            return order is not null ? TypedResults.Ok(order) : Problems.OrderNotFound;
        }
        catch (Exception ex) when (IsUnavailable(ex, context.RequestAborted))
        {
            return Problems.Unavailable;
        }
    }

    /// <summary>The caller's order as GET answers it; null when there is none or it is someone else's (answered alike).
    /// Throws what <see cref="IsUnavailable"/> recognizes when the store or the gate cannot answer within <paramref name="timeout"/>.</summary>
    internal static async Task<OrderResponse?> FindOwnOrderAsync(long id, string user, IFlashSaleStore store, IStockGate gate, TimeSpan timeout, CancellationToken cancellationToken) =>
        await FindAsync(id, user, store, gate, timeout, cancellationToken) switch
        {
            ({ } stored, _) => OrderResponse.From(stored),
            (_, { } queued) => OrderResponse.Queued(queued),
            _ => null,
        };

    /// <summary>
    /// The order in the database or, while it is still on its way there, the gate's intent for it; neither when there is
    /// none or it is not <paramref name="owner"/>'s (null: anyone's, for an admin). Both lookups share one deadline.
    /// </summary>
    internal static async Task<(Order? Stored, OrderIntent? Queued)> FindAsync(
        long id, string? owner, IFlashSaleStore store, IStockGate gate, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var order = await store.FindOrderAsync(id, deadline.Token).WaitAsync(deadline.Token);
        if (order is not null) return owner is null || order.UserId == owner ? (order, null) : default;
        var intent = await gate.FindIntentAsync(id, deadline.Token).WaitAsync(deadline.Token);
        return intent is not null && (owner is null || intent.UserId == owner) ? (null, intent) : default;
    }

    /// <summary>A call failed because a server it needs (the store, the gate, a payment provider) did not answer (in
    /// time), not because the caller left.</summary>
    internal static bool IsUnavailable(Exception ex, CancellationToken requestAborted) =>
        ex is GateUnavailableException or DbException or TimeoutException or HttpRequestException
        || (ex is OperationCanceledException && !requestAborted.IsCancellationRequested);

    /// <summary>The caller's orders of a sale; an unknown sale is answered by the process's catalog (which remembers
    /// unknown ids briefly), so made-up ids do not each cost a database query.</summary>
    internal static async Task<Results<Ok<IReadOnlyList<OrderResponse>>, ProblemResult>> GetMyOrdersAsync(
        string saleId, HttpContext context, SaleCatalog catalog, IFlashSaleStore store)
    {
        if (!long.TryParse(saleId, out var id)) return Problems.SaleNotFound;
        if (await catalog.FindAsync(id, context.RequestAborted) is null) return Problems.SaleNotFound;
        var orders = await store.GetUserOrdersAsync(id, context.User.UserId(), context.RequestAborted);
        return TypedResults.Ok<IReadOnlyList<OrderResponse>>(orders.Select(OrderResponse.From).ToArray());
    }
}

/// <summary>An order as the API shows it; what a queued order does not have yet (amount, deadline) is left out.</summary>
public sealed record OrderResponse(string OrderId, string SaleId, string UserId, int Quantity, string RequestId, string Status, DateTimeOffset AcceptedAt,
    decimal? Amount = null, DateTimeOffset? PaymentDeadline = null, DateTimeOffset? PaidAt = null, DateTimeOffset? CancelledAt = null, string? CancelReason = null,
    PaymentResponse? Payment = null, RefundResponse? Refund = null)
{
    public static OrderResponse From(Order o) => new(ApiId.Of(o.OrderId), ApiId.Of(o.SaleId), o.UserId, o.Quantity, o.RequestId, o.Status, o.AcceptedAt,
        o.Amount, o.PaymentDeadline, o.PaidAt, o.CancelledAt, o.CancelReason,
        o.Payment is { } p ? new PaymentResponse(p.PaymentId, p.Provider, p.Status) : null,
        o.Refund is { } r ? new RefundResponse(r.Status, r.Amount) : null);

    public static OrderResponse Queued(OrderIntent i) => new(ApiId.Of(i.OrderId), ApiId.Of(i.SaleId), i.UserId, i.Quantity, i.RequestId,
        OrderStatus.Queued, DateTimeOffset.FromUnixTimeMilliseconds(i.AcceptedAtMs));
}

/// <param name="Status"><c>succeeded</c>, or <c>pending</c> while a provider waits for the payer.</param>
public sealed record PaymentResponse(string PaymentId, string Provider, string Status);

/// <param name="Status"><c>refund_pending</c> or <c>refunded</c>.</param>
public sealed record RefundResponse(string Status, decimal Amount);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OrderResponse))]
[JsonSerializable(typeof(IReadOnlyList<OrderResponse>))]
public sealed partial class OrdersJson : JsonSerializerContext;
