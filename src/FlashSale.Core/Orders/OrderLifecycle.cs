namespace FlashSale.Core.Orders;

/// <summary>What happens to an order after the gate accepted it.</summary>
public enum OrderEvent
{
    /// <summary>The order writer stored the intent.</summary>
    Persisted,
    /// <summary>A payment for the order succeeded at the provider.</summary>
    PaymentSucceeded,
    /// <summary>The order is cancelled: its payment deadline passed, or the user or an admin cancelled it.</summary>
    Cancel,
    /// <summary>The intent could not be written and was dead-lettered.</summary>
    Failed,
}

/// <summary>What an event does to an order in a given status.</summary>
public enum TransitionKind
{
    /// <summary>The order moves to <see cref="OrderTransition.To"/>.</summary>
    Moves,
    /// <summary>The order is already where the event would take it (a repeat, a redelivery): nothing changes.</summary>
    AlreadyDone,
    /// <summary>The event does not apply to an order in this status: nothing changes.</summary>
    Refused,
    /// <summary>A payment the order cannot take (cancelled, failed, or paid by another payment): the order stays
    /// as it is and the payment is recorded as owed back (<see cref="OrderRefundStatus.Pending"/>).</summary>
    Refund,
}

/// <summary>One cell of <see cref="OrderLifecycle"/>'s table.</summary>
public readonly record struct OrderTransition(TransitionKind Kind, string? To = null)
{
    public static OrderTransition MovesTo(string status) => new(TransitionKind.Moves, status);
}

public static class CancelReason
{
    /// <summary>The payment deadline passed without a payment.</summary>
    public const string Timeout = "timeout";
    public const string User = "user";
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Timeout, User, Admin];
}

/// <summary>The state of money owed back for a payment the order did not take.</summary>
public static class OrderRefundStatus
{
    public const string Pending = "refund_pending";
    public const string Refunded = "refunded";
}

/// <summary>The state of one payment the store recorded.</summary>
public static class PaymentRecordStatus
{
    /// <summary>The payment paid its order.</summary>
    public const string Succeeded = "succeeded";
    /// <summary>The payment was not honoured and is owed back.</summary>
    public const string RefundPending = OrderRefundStatus.Pending;
}

/// <summary>
/// The order's life, one table: every status × every event → the status it moves to, or why it does not.
/// The stores carry out the moves as conditional updates from the one status the table allows
/// (<see cref="PayableFrom"/>, <see cref="CancellableFrom"/>), so of two racing events exactly one moves the order;
/// the loser reads the status the winner left and this table says what that means for it.
/// </summary>
public static class OrderLifecycle
{
    public static readonly IReadOnlyList<string> Statuses =
        [OrderStatus.Queued, OrderStatus.PendingPayment, OrderStatus.Paid, OrderStatus.Cancelled, OrderStatus.Failed];

    private static readonly OrderTransition AlreadyDone = new(TransitionKind.AlreadyDone);
    private static readonly OrderTransition Refused = new(TransitionKind.Refused);
    private static readonly OrderTransition Refund = new(TransitionKind.Refund);

    private static readonly Dictionary<(string, OrderEvent), OrderTransition> Table = new()
    {
        [(OrderStatus.Queued, OrderEvent.Persisted)] = OrderTransition.MovesTo(OrderStatus.PendingPayment),
        [(OrderStatus.Queued, OrderEvent.PaymentSucceeded)] = Refused, // not in the database yet: retried by the provider
        [(OrderStatus.Queued, OrderEvent.Cancel)] = Refused,
        [(OrderStatus.Queued, OrderEvent.Failed)] = OrderTransition.MovesTo(OrderStatus.Failed),

        [(OrderStatus.PendingPayment, OrderEvent.Persisted)] = AlreadyDone, // a redelivery
        [(OrderStatus.PendingPayment, OrderEvent.PaymentSucceeded)] = OrderTransition.MovesTo(OrderStatus.Paid),
        [(OrderStatus.PendingPayment, OrderEvent.Cancel)] = OrderTransition.MovesTo(OrderStatus.Cancelled),
        [(OrderStatus.PendingPayment, OrderEvent.Failed)] = Refused, // written after all: it stays as it is

        [(OrderStatus.Paid, OrderEvent.Persisted)] = AlreadyDone,
        [(OrderStatus.Paid, OrderEvent.PaymentSucceeded)] = Refund, // a second payment
        [(OrderStatus.Paid, OrderEvent.Cancel)] = Refused,
        [(OrderStatus.Paid, OrderEvent.Failed)] = Refused,

        [(OrderStatus.Cancelled, OrderEvent.Persisted)] = AlreadyDone,
        [(OrderStatus.Cancelled, OrderEvent.PaymentSucceeded)] = Refund, // too late
        [(OrderStatus.Cancelled, OrderEvent.Cancel)] = AlreadyDone,
        [(OrderStatus.Cancelled, OrderEvent.Failed)] = Refused,

        [(OrderStatus.Failed, OrderEvent.Persisted)] = Refused, // a late write of a failed intent inserts nothing
        [(OrderStatus.Failed, OrderEvent.PaymentSucceeded)] = Refund,
        [(OrderStatus.Failed, OrderEvent.Cancel)] = Refused,
        [(OrderStatus.Failed, OrderEvent.Failed)] = AlreadyDone,
    };

    /// <summary>The one status a payment can pay.</summary>
    public static string PayableFrom { get; } = From(OrderEvent.PaymentSucceeded);

    /// <summary>The one status an order can be cancelled from.</summary>
    public static string CancellableFrom { get; } = From(OrderEvent.Cancel);

    /// <summary>What <paramref name="orderEvent"/> does to an order in <paramref name="status"/>.</summary>
    public static OrderTransition Next(string status, OrderEvent orderEvent) =>
        Table.TryGetValue((status, orderEvent), out var transition)
            ? transition
            : throw new ArgumentOutOfRangeException(nameof(status), status, "not an order status");

    /// <summary>What a cancellation that moved nothing means, from the status the order has (null: no such order).</summary>
    public static CancelOutcome UnmovedCancel(string? status) => status is null
        ? CancelOutcome.UnknownOrder
        : Next(status, OrderEvent.Cancel).Kind switch
        {
            TransitionKind.AlreadyDone => CancelOutcome.AlreadyCancelled,
            TransitionKind.Moves => CancelOutcome.NotDue, // still cancellable: only a timeout before its deadline moves nothing
            _ => CancelOutcome.NotCancellable,
        };

    public static bool IsCancelReason(string reason) => CancelReason.All.Contains(reason, StringComparer.Ordinal);

    private static string From(OrderEvent orderEvent) =>
        Table.Single(cell => cell.Key.Item2 == orderEvent && cell.Value.Kind == TransitionKind.Moves).Key.Item1;
}
