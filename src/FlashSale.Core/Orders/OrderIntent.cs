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

public sealed record Order(long OrderId, long SaleId, string UserId, int Quantity, string RequestId, string Status, DateTimeOffset AcceptedAt, DateTimeOffset? PersistedAt);
