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
}

public sealed record Order(long OrderId, long SaleId, string UserId, int Quantity, string RequestId, string Status, DateTimeOffset AcceptedAt, DateTimeOffset? PersistedAt);
