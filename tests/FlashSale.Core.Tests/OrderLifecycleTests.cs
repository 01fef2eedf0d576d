using FlashSale.Core.Orders;

namespace FlashSale.Core.Tests;

/// <summary>Every cell of the order's transition table, and what a cancellation that moved nothing means.</summary>
public sealed class OrderLifecycleTests
{
    private const TransitionKind Moves = TransitionKind.Moves, Done = TransitionKind.AlreadyDone, Refused = TransitionKind.Refused, Refund = TransitionKind.Refund;

    [Theory]
    [InlineData(OrderStatus.Queued, OrderEvent.Persisted, Moves, OrderStatus.PendingPayment)]
    [InlineData(OrderStatus.Queued, OrderEvent.PaymentSucceeded, Refused, null)]
    [InlineData(OrderStatus.Queued, OrderEvent.Cancel, Refused, null)]
    [InlineData(OrderStatus.Queued, OrderEvent.Failed, Moves, OrderStatus.Failed)]
    [InlineData(OrderStatus.PendingPayment, OrderEvent.Persisted, Done, null)]
    [InlineData(OrderStatus.PendingPayment, OrderEvent.PaymentSucceeded, Moves, OrderStatus.Paid)]
    [InlineData(OrderStatus.PendingPayment, OrderEvent.Cancel, Moves, OrderStatus.Cancelled)]
    [InlineData(OrderStatus.PendingPayment, OrderEvent.Failed, Refused, null)]
    [InlineData(OrderStatus.Paid, OrderEvent.Persisted, Done, null)]
    [InlineData(OrderStatus.Paid, OrderEvent.PaymentSucceeded, Refund, null)]
    [InlineData(OrderStatus.Paid, OrderEvent.Cancel, Refused, null)]
    [InlineData(OrderStatus.Paid, OrderEvent.Failed, Refused, null)]
    [InlineData(OrderStatus.Cancelled, OrderEvent.Persisted, Done, null)]
    [InlineData(OrderStatus.Cancelled, OrderEvent.PaymentSucceeded, Refund, null)]
    [InlineData(OrderStatus.Cancelled, OrderEvent.Cancel, Done, null)]
    [InlineData(OrderStatus.Cancelled, OrderEvent.Failed, Refused, null)]
    [InlineData(OrderStatus.Failed, OrderEvent.Persisted, Refused, null)]
    [InlineData(OrderStatus.Failed, OrderEvent.PaymentSucceeded, Refund, null)]
    [InlineData(OrderStatus.Failed, OrderEvent.Cancel, Refused, null)]
    [InlineData(OrderStatus.Failed, OrderEvent.Failed, Done, null)]
    public void Each_status_and_event_has_one_answer(string status, OrderEvent orderEvent, TransitionKind kind, string? to) =>
        OrderLifecycle.Next(status, orderEvent).Should().Be(new OrderTransition(kind, to));

    [Fact]
    public void The_table_covers_every_status_and_event_and_nothing_else()
    {
        foreach (var status in OrderLifecycle.Statuses)
        {
            foreach (var orderEvent in Enum.GetValues<OrderEvent>()) OrderLifecycle.Next(status, orderEvent).Kind.Should().BeDefined();
        }
        var unknown = () => OrderLifecycle.Next("shipped", OrderEvent.Cancel);
        unknown.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Payment_and_cancellation_move_only_a_pending_order()
    {
        OrderLifecycle.PayableFrom.Should().Be(OrderStatus.PendingPayment);
        OrderLifecycle.CancellableFrom.Should().Be(OrderStatus.PendingPayment);
    }

    [Fact]
    public void A_status_that_holds_units_is_one_a_move_to_cancelled_or_failed_gives_back()
    {
        foreach (var status in OrderLifecycle.Statuses)
        {
            var givesBack = new[] { OrderEvent.Cancel, OrderEvent.Failed }.Any(e => OrderLifecycle.Next(status, e) is { Kind: TransitionKind.Moves });
            if (givesBack) OrderStatus.TakesStock(status).Should().BeTrue($"{status} can be cancelled or failed, so it holds units to give back");
        }
        OrderStatus.TakesStock(OrderStatus.Cancelled).Should().BeFalse();
        OrderStatus.TakesStock(OrderStatus.Failed).Should().BeFalse();
    }

    [Theory]
    [InlineData(null, CancelOutcome.UnknownOrder)]
    [InlineData(OrderStatus.Cancelled, CancelOutcome.AlreadyCancelled)]
    [InlineData(OrderStatus.PendingPayment, CancelOutcome.NotDue)]
    [InlineData(OrderStatus.Paid, CancelOutcome.NotCancellable)]
    [InlineData(OrderStatus.Failed, CancelOutcome.NotCancellable)]
    public void A_cancellation_that_moved_nothing_is_read_from_the_status_left(string? status, CancelOutcome outcome) =>
        OrderLifecycle.UnmovedCancel(status).Should().Be(outcome);

    [Theory]
    [InlineData(CancelReason.Timeout, true)]
    [InlineData(CancelReason.User, true)]
    [InlineData(CancelReason.Admin, true)]
    [InlineData("Timeout", false)]
    [InlineData("", false)]
    public void Cancel_reasons_are_a_closed_set(string reason, bool valid) => OrderLifecycle.IsCancelReason(reason).Should().Be(valid);

    [Fact]
    public void A_payment_matches_an_order_by_amount_and_currency()
    {
        var order = new Order(1, 2, "u", 2, "r", OrderStatus.PendingPayment, DateTimeOffset.UnixEpoch, null, 21.00m, DateTimeOffset.UnixEpoch);
        var payment = new PaymentEvent("p", 1, 21m, OrderLifecycle.Currency, "test", DateTimeOffset.UnixEpoch);
        payment.Matches(order).Should().BeTrue();
        (payment with { Amount = 21.01m }).Matches(order).Should().BeFalse();
        (payment with { Currency = "USD" }).Matches(order).Should().BeFalse();
    }
}
