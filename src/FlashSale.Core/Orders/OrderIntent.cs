namespace FlashSale.Core.Orders;

/// <summary>A gate-accepted purchase, on its way to becoming an order row. The message on the order queue.</summary>
public sealed record OrderIntent(long OrderId, long SaleId, string UserId, int Quantity, string RequestId, long AcceptedAtMs);

public static class OrderStatus
{
    public const string Queued = "queued";
    public const string PendingPayment = "pending_payment";
    public const string Paid = "paid";
    public const string Cancelled = "cancelled";
    public const string Failed = "failed";

    /// <summary>Whether an order in this status holds its units (a failed or cancelled one gave them back).</summary>
    public static bool TakesStock(string status) => status is Queued or PendingPayment or Paid;
}

/// <summary>An order as the store holds it.</summary>
/// <param name="Amount">The sale's price × quantity: what a payment must be.</param>
/// <param name="PaymentDeadline">AcceptedAt + the sale's payment timeout: after it, a pending order is due for cancellation.</param>
/// <param name="Payment">The payment that paid the order.</param>
/// <param name="Refund">Money owed back for payments the order did not take (late, or a second one).</param>
/// <param name="FailedPayments">Payments of the order that failed at the provider; the next attempt is this + 1.</param>
public sealed record Order(long OrderId, long SaleId, string UserId, int Quantity, string RequestId, string Status, DateTimeOffset AcceptedAt, DateTimeOffset? PersistedAt,
    decimal Amount, DateTimeOffset PaymentDeadline, DateTimeOffset? PaidAt = null, DateTimeOffset? CancelledAt = null, string? CancelReason = null,
    OrderPayment? Payment = null, OrderRefund? Refund = null, int FailedPayments = 0)
{
    /// <summary>The intent the order was written from: what the gate gives back when it is cancelled.</summary>
    public OrderIntent Intent() => new(OrderId, SaleId, UserId, Quantity, RequestId, AcceptedAt.ToUnixTimeMilliseconds());
}

public sealed record OrderPayment(string PaymentId, string Provider, string Status);

public sealed record OrderRefund(string Status, decimal Amount);
