namespace FlashSale.Core.Orders;

/// <summary>A payment that succeeded at its provider, for one order. <paramref name="PaymentId"/> is the provider's id:
/// the same event delivered again is recorded once.</summary>
public sealed record PaymentEvent(string PaymentId, long OrderId, decimal Amount, string Currency, string Provider, DateTimeOffset ReceivedAt)
{
    /// <summary>Whether this payment is what <paramref name="order"/> costs, in the sales' currency.</summary>
    public bool Matches(Order order) => Amount == order.Amount && string.Equals(Currency, OrderLifecycle.Currency, StringComparison.Ordinal);
}

public enum PaymentResult
{
    /// <summary>The payment paid the order.</summary>
    Paid,
    /// <summary>The order could not take the payment (cancelled, failed, paid by another payment): it stays as it is
    /// and the payment is recorded as owed back.</summary>
    RefundRecorded,
    /// <summary>The payment's amount or currency is not the order's: refused, nothing recorded.</summary>
    Mismatch,
    UnknownOrder,
}

/// <param name="Repeated">The payment id was recorded before: nothing changed, and this is the first answer again.</param>
public sealed record PaymentOutcome(PaymentResult Result, bool Repeated = false)
{
    /// <summary>The answer a recorded payment's status stands for.</summary>
    public static PaymentOutcome Recorded(string paymentStatus, bool repeated) =>
        new(paymentStatus == PaymentStatus.Succeeded ? PaymentResult.Paid : PaymentResult.RefundRecorded, repeated);
}

public enum CancelOutcome
{
    /// <summary>Cancelled now: its units are back in the database's stock and the user's total.</summary>
    Cancelled,
    /// <summary>Cancelled before: nothing changed.</summary>
    AlreadyCancelled,
    /// <summary>Paid or failed: nothing changed.</summary>
    NotCancellable,
    /// <summary>A timeout cancellation of an order whose payment deadline has not passed: nothing changed.</summary>
    NotDue,
    UnknownOrder,
}

/// <summary>A pending order whose payment deadline has passed: the timeout's work.</summary>
public sealed record DuePayment(long OrderId, long SaleId, DateTimeOffset PaymentDeadline);
