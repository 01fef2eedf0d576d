using FlashSale.Core.Payments;

namespace FlashSale.Core.Orders;

/// <summary>A succeeded payment event (<see cref="PaymentEvent"/>, the provider's word) as the store records it: by which
/// provider, when it was received, and the currency orders are priced in (<see cref="PaymentOptions.Currency"/>).</summary>
public sealed record PaymentReceipt(PaymentEvent Event, string Provider, DateTimeOffset ReceivedAt, string PricedIn)
{
    private readonly PaymentEvent _event = Succeeded(Event);

    public PaymentEvent Event { get => _event; init => _event = Succeeded(value); }

    /// <summary>Whether the payment charged what <paramref name="order"/> costs, in the currency orders are priced in.</summary>
    public bool Matches(Order order) => Event.Charges(order.Amount, PricedIn);

    private static PaymentEvent Succeeded(PaymentEvent paymentEvent) =>
        paymentEvent.Status == PaymentOutcome.Succeeded ? paymentEvent : throw new ArgumentException("only a succeeded payment is recorded", nameof(Event));
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
public sealed record PaymentRecording(PaymentResult Result, bool Repeated = false)
{
    /// <summary>The answer a recorded payment's status stands for.</summary>
    public static PaymentRecording Recorded(string paymentStatus, bool repeated) =>
        new(paymentStatus == PaymentRecordStatus.Succeeded ? PaymentResult.Paid : PaymentResult.RefundRecorded, repeated);
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

/// <summary>A payment the store recorded as owed back: the refund worker's work.</summary>
public sealed record OwedRefund(string PaymentId, long OrderId, decimal Amount, string Currency, string Provider);
