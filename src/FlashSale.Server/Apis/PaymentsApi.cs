using System.Buffers;
using FlashSale.Core.Payments;
using FlashSale.Core.Pipeline;

namespace FlashSale.Server.Apis;

/// <summary>An order's life after the 202: paying it, cancelling it (the buyer or an admin), and the provider's webhook.</summary>
public static class PaymentsApi
{
    private static readonly ProblemResult NotPayable = new(409, "order_not_payable", "Not payable", "This order cannot be paid: it is queued, cancelled, failed or past its payment deadline.");
    private static readonly ProblemResult AlreadyPaid = new(409, "already_paid", "Already paid", "This order is paid.");
    private static readonly ProblemResult Declined = new(402, "payment_declined", "Payment declined", "The provider declined the payment; the order can still be paid before its deadline.");
    private static readonly ProblemResult UnknownProvider = Problems.InvalidRequest("provider names no configured payment provider.");
    private static readonly ProblemResult ProviderUnavailable = new(503, "unavailable", "Unavailable", "The payment provider or the database cannot be reached; nothing was charged twice. Try again.", retryAfterSeconds: 1);
    private static readonly ProblemResult OrderPaid = new(409, "order_paid", "Order paid", "A paid order cannot be cancelled.");
    private static readonly ProblemResult OrderFailed = new(409, "order_failed", "Order failed", "This order failed; there is nothing to cancel.");
    private static readonly ProblemResult OrderQueued = new(409, "order_queued", "Order queued", "The order is still being written; try again in a moment.", retryAfterSeconds: 1);
    private static readonly ProblemResult BadSignature = new(401, "invalid_signature", "Invalid signature", "X-FlashSale-Signature is missing or is not sha256=<HMAC-SHA256 of the body>.");
    private static readonly ProblemResult AmountMismatch = new(422, "amount_mismatch", "Amount mismatch", "The payment's amount or currency is not the order's; it was not recorded.");
    private static readonly ProblemResult NotPaymentEvent = Problems.InvalidRequest("The body is not a payment event: {paymentId, orderId, status, amount, currency}.");

    // What each call answers besides its success, for the API description (FlashSaleApis: .Refuses).
    internal static readonly ProblemResult[] PayProblems = [UnknownProvider, Declined, Problems.OrderNotFound, NotPayable, AlreadyPaid, OrderQueued, ProviderUnavailable];
    internal static readonly ProblemResult[] CancelProblems = [Problems.OrderNotFound, OrderPaid, OrderFailed, OrderQueued, Problems.Unavailable];
    internal static readonly ProblemResult[] WebhookProblems = [NotPaymentEvent, BadSignature, Problems.OrderNotFound, AmountMismatch, Problems.BodyTooLarge(PaymentEvent.MaxBodyBytes), Problems.Unavailable];

    internal static async Task<Results<Ok<OrderResponse>, Accepted<OrderResponse>, ProblemResult>> PayAsync(
        string orderId, HttpContext context, IFlashSaleStore store, IStockGate gate, IOptions<PipelineOptions> pipeline, Checkout checkout)
    {
        string? provider = null;
        if (context.Request.ContentLength is not (null or 0) || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var (body, problem) = await JsonBody.ReadAsync(context.Request, PaymentsJson.Default.PayRequest);
            if (problem is not null) return problem;
            provider = body!.Provider;
        }
        try
        {
            var (order, missing) = await FindAsync(orderId, context.User.UserId(), context, store, gate, pipeline);
            if (order is null) return missing!;
            var answer = await checkout.PayAsync(order, provider, context.RequestAborted);
            var response = OrderResponse.From(answer.Order);
            return answer.Result switch
            {
                CheckoutResult.Paid => TypedResults.Ok(response),
                CheckoutResult.Pending => TypedResults.Accepted(
                    $"/api/orders/{orderId}", response with { Payment = new PaymentResponse(answer.PaymentId!, answer.Provider!, "pending") }),
                CheckoutResult.AlreadyPaid => AlreadyPaid,
                CheckoutResult.Declined => Declined,
                CheckoutResult.UnknownProvider => UnknownProvider,
                _ => NotPayable,
            };
        }
        catch (Exception ex) when (OrdersApi.IsUnavailable(ex, context.RequestAborted))
        {
            return ProviderUnavailable;
        }
    }

    internal static Task<Results<Ok<OrderResponse>, ProblemResult>> CancelAsync(
        string orderId, HttpContext context, IFlashSaleStore store, IStockGate gate, IOptions<PipelineOptions> pipeline, OrderCancellation cancellation) =>
        CancelAsync(orderId, CancelReason.User, context.User.UserId(), context, store, gate, pipeline, cancellation);

    internal static Task<Results<Ok<OrderResponse>, ProblemResult>> AdminCancelAsync(
        string orderId, HttpContext context, IFlashSaleStore store, IStockGate gate, IOptions<PipelineOptions> pipeline, OrderCancellation cancellation) =>
        CancelAsync(orderId, CancelReason.Admin, owner: null, context, store, gate, pipeline, cancellation);

    private static async Task<Results<Ok<OrderResponse>, ProblemResult>> CancelAsync(string orderId, string reason, string? owner,
        HttpContext context, IFlashSaleStore store, IStockGate gate, IOptions<PipelineOptions> pipeline, OrderCancellation cancellation)
    {
        try
        {
            var (order, missing) = await FindAsync(orderId, owner, context, store, gate, pipeline);
            if (order is null) return missing!;
            var outcome = await cancellation.CancelAsync(order, reason, context.RequestAborted);
            var now = await store.FindOrderAsync(order.OrderId, context.RequestAborted) ?? order;
            return outcome switch
            {
                CancelOutcome.Cancelled or CancelOutcome.AlreadyCancelled => TypedResults.Ok(OrderResponse.From(now)),
                _ when now.Status == OrderStatus.Paid => OrderPaid,
                _ when now.Status == OrderStatus.Failed => OrderFailed,
                _ => Problems.OrderNotFound,
            };
        }
        catch (Exception ex) when (OrdersApi.IsUnavailable(ex, context.RequestAborted))
        {
            return Problems.Unavailable;
        }
    }

    /// <summary>
    /// The provider's event, read raw (its signature is over these bytes) and no further than <see cref="PaymentEvent.MaxBodyBytes"/>:
    /// a longer body is 413 body_too_large, unsigned or not (the endpoint's limit, which Kestrel enforces too).
    /// </summary>
    internal static async Task<Results<Ok<WebhookAnswer>, ProblemResult>> WebhookAsync(HttpContext context, IPaymentEventSink recorder)
    {
        if (context.Request.ContentLength > PaymentEvent.MaxBodyBytes) return Problems.BodyTooLarge(PaymentEvent.MaxBodyBytes);
        var buffer = ArrayPool<byte>.Shared.Rent(PaymentEvent.MaxBodyBytes + 1);
        try
        {
            var length = await BodyLimits.ReadUpToAsync(context.Request.Body, buffer.AsMemory(0, PaymentEvent.MaxBodyBytes + 1), context.RequestAborted);
            if (length > PaymentEvent.MaxBodyBytes) return Problems.BodyTooLarge(PaymentEvent.MaxBodyBytes);
            var delivery = await recorder.DeliverAsync(buffer.AsMemory(0, length), context.Request.Headers[WebhookSignature.HeaderName].ToString(), context.RequestAborted);
            return delivery switch
            {
                WebhookDelivery.Processed => TypedResults.Ok(new WebhookAnswer("processed")),
                WebhookDelivery.Unauthorized => BadSignature,
                WebhookDelivery.AmountMismatch => AmountMismatch,
                WebhookDelivery.UnknownOrder => Problems.OrderNotFound,
                _ => NotPaymentEvent,
            };
        }
        catch (Exception ex) when (OrdersApi.IsUnavailable(ex, context.RequestAborted))
        {
            return Problems.Unavailable;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The order in the database (<paramref name="owner"/>'s; null: anyone's), through GET's lookup; a queued one is
    /// 409, someone else's or none 404, answered without telling which exists.</summary>
    private static async Task<(Order? Order, ProblemResult? Missing)> FindAsync(
        string orderId, string? owner, HttpContext context, IFlashSaleStore store, IStockGate gate, IOptions<PipelineOptions> pipeline)
    {
        if (!long.TryParse(orderId, out var id)) return (null, Problems.OrderNotFound);
        var (stored, queued) = await OrdersApi.FindAsync(id, owner, store, gate, pipeline.Value.CallTimeout, context.RequestAborted);
        return stored is not null ? (stored, null) : (null, queued is not null ? OrderQueued : Problems.OrderNotFound);
    }
}

public sealed record PayRequest(string? Provider);

public sealed record WebhookAnswer(string Status);

/// <summary>
/// The provider's event as the webhook reads it (<see cref="PaymentEvent"/>: strict camelCase, numbers as JSON numbers, no
/// other member), for the API description; the handler reads the raw bytes, which the signature covers.
/// </summary>
/// <param name="OrderId">The order id as a string of digits.</param>
/// <param name="Status"><c>succeeded</c> or <c>failed</c>.</param>
/// <param name="Amount">Price times quantity, in <paramref name="Currency"/> (ISO 4217).</param>
public sealed record WebhookEvent(string PaymentId, string OrderId, string Status, decimal Amount, string Currency);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PayRequest))]
[JsonSerializable(typeof(WebhookAnswer))]
[JsonSerializable(typeof(WebhookEvent))]
public sealed partial class PaymentsJson : JsonSerializerContext;
