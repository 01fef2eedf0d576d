using FlashSale.Core.Orders;
using FlashSale.Core.Payments;

namespace FlashSale.Core.Tests;

/// <summary>Every cell of the order's transition table, and what a cancellation that moved nothing means.</summary>
public sealed class OrderLifecycleTests
{
    /// <summary>The expected table, one row per status, one column per event: a status it moves to, "done" (already
    /// there), "refused" or "refund".</summary>
    private const string Expected = """
        status            Persisted         PaymentSucceeded  Cancel            Failed
        queued            pending_payment   refused           refused           failed
        pending_payment   done              paid              cancelled         refused
        paid              done              refund            refused           refused
        cancelled         done              refund            done              refused
        failed            refused           refund            refused           done
        """;

    public static TheoryData<string, OrderEvent, string> Cells()
    {
        var rows = Expected.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var events = rows[0].Skip(1).Select(Enum.Parse<OrderEvent>).ToArray();
        var cells = new TheoryData<string, OrderEvent, string>();
        foreach (var row in rows.Skip(1))
        {
            for (var e = 0; e < events.Length; e++) cells.Add(row[0], events[e], row[e + 1]);
        }
        return cells;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public void Each_status_and_event_has_one_answer(string status, OrderEvent orderEvent, string expected) =>
        OrderLifecycle.Next(status, orderEvent).Should().Be(expected switch
        {
            "done" => new OrderTransition(TransitionKind.AlreadyDone),
            "refused" => new OrderTransition(TransitionKind.Refused),
            "refund" => new OrderTransition(TransitionKind.Refund),
            _ => OrderTransition.MovesTo(expected),
        });

    [Fact]
    public void The_expected_table_has_every_cell()
    {
        Cells().Should().HaveCount(OrderLifecycle.Statuses.Count * Enum.GetValues<OrderEvent>().Length);
        Cells().Select(c => (string)c[0]).Distinct().Should().BeEquivalentTo(OrderLifecycle.Statuses);
    }

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
        var payment = new PaymentReceipt(new PaymentEvent("p", 1, PaymentOutcome.Succeeded, 21m, "CNY"), "test", DateTimeOffset.UnixEpoch, "CNY");
        payment.Matches(order).Should().BeTrue();
        (payment with { Event = payment.Event with { Amount = 21.01m } }).Matches(order).Should().BeFalse();
        (payment with { Event = payment.Event with { Currency = "USD" } }).Matches(order).Should().BeFalse();
        (payment with { PricedIn = "USD" }).Matches(order).Should().BeFalse();
        var failed = () => payment with { Event = payment.Event with { Status = PaymentOutcome.Failed } };
        failed.Should().Throw<ArgumentException>("only a succeeded payment is recorded");
    }
}
