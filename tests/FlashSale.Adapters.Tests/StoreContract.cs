using FlashSale.Core.Orders;
using FlashSale.Core.Payments;
using FlashSale.Core.Sales;

namespace FlashSale.Adapters.Tests;

/// <summary>
/// The system of record's contract, written once and run against every store: idempotent
/// writes, the guarded stock update, the per-user limit checked again, failed orders.
/// </summary>
public abstract class StoreContract
{
    protected abstract IFlashSaleStore Store { get; }

    private async Task<Sale> NewSaleAsync(int stock, int perUserLimit)
    {
        var sale = TestEnvironment.NewSale(stock, perUserLimit);
        await Store.CreateSaleAsync(sale, default);
        return sale;
    }

    private static OrderIntent Intent(Sale sale, string user, int quantity) =>
        new(TestEnvironment.NewId(), sale.Id, user, quantity, Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    [Fact]
    public async Task A_sale_reads_back_as_it_was_written()
    {
        var sale = await NewSaleAsync(stock: 7, perUserLimit: 2);

        var found = await Store.FindSaleAsync(sale.Id, default);

        found.Should().NotBeNull();
        found!.Price.Should().Be(10.50m);
        found.Should().BeEquivalentTo(sale, o => o
            .Using<DateTimeOffset>(c => c.Subject.Should().BeCloseTo(c.Expectation, TimeSpan.FromMilliseconds(1))).WhenTypeIs<DateTimeOffset>());
        (await Store.FindSaleAsync(TestEnvironment.NewId(), default)).Should().BeNull();
    }

    [Fact]
    public async Task Writing_the_same_intents_twice_writes_them_once()
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit: 2);
        var batch = new[] { Intent(sale, "a", 2), Intent(sale, "b", 1) };

        await Store.WriteOrdersAsync(batch, default);
        await Store.WriteOrdersAsync(batch, default);
        await Store.WriteOrdersAsync([batch[0], batch[0]], default);

        var counters = await Store.GetCountersAsync(sale.Id, default);
        counters.AvailableStock.Should().Be(7);
        counters.PersistedUnits.Should().Be(3);
        counters.OrdersByStatus.Should().BeEquivalentTo(new Dictionary<string, long> { ["pending_payment"] = 2 });
        var snapshot = await Store.GetStockSnapshotAsync(sale.Id, default);
        snapshot!.AvailableStock.Should().Be(7);
        snapshot.UserTotals.Should().BeEquivalentTo(new Dictionary<string, int> { ["a"] = 2, ["b"] = 1 });
        (await Store.GetUserOrdersAsync(sale.Id, "a", default)).Should().ContainSingle()
            .Which.Should().Match<Order>(o => o.OrderId == batch[0].OrderId && o.Quantity == 2 && o.Status == OrderStatus.PendingPayment);
    }

    [Fact]
    public async Task A_second_order_for_the_same_request_is_refused()
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit: 5);
        var first = Intent(sale, "a", 1);
        var second = first with { OrderId = TestEnvironment.NewId() };
        await Store.WriteOrdersAsync([first], default);

        var act = () => Store.WriteOrdersAsync([second], default);

        await act.Should().ThrowAsync<OrderBatchRejectedException>("one (sale, user, requestId) is one purchase");
        (await Store.GetUserOrdersAsync(sale.Id, "a", default)).Should().ContainSingle().Which.OrderId.Should().Be(first.OrderId);
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(9);
    }

    [Fact]
    public async Task An_order_id_that_stands_for_another_order_is_refused_and_the_first_order_kept()
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit: 5);
        var other = await NewSaleAsync(stock: 10, perUserLimit: 5);
        var first = Intent(sale, "a", 2);
        await Store.WriteOrdersAsync([first], default);
        await Store.WriteOrdersAsync([first], default); // the same intent again: a redelivery, one order

        var collisions = new[]
        {
            first with { UserId = "b", RequestId = "other" },
            first with { Quantity = 1 },
            first with { RequestId = "other" },
            Intent(other, "a", 1) with { OrderId = first.OrderId }, // the same id in another sale
        };
        foreach (var collision in collisions)
        {
            var write = () => Store.WriteOrdersAsync([Intent(sale, "c", 1), collision], default);
            var fail = () => Store.MarkFailedAsync(collision, "refused", default);
            (await write.Should().ThrowAsync<OrderBatchRejectedException>()).Which.IsOrderIdCollision.Should().BeTrue();
            (await fail.Should().ThrowAsync<OrderBatchRejectedException>("a failed row cannot take the id either")).Which.IsOrderIdCollision.Should().BeTrue();
        }

        (await Store.FindOrderAsync(first.OrderId, default)).Should().Match<Order>(o =>
            o.SaleId == sale.Id && o.UserId == "a" && o.Quantity == 2 && o.RequestId == first.RequestId && o.Status == OrderStatus.PendingPayment);
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(8, "nothing of the refused batches was written");
        (await Store.GetCountersAsync(other.Id, default)).AvailableStock.Should().Be(10);
        (await Store.GetUserOrdersAsync(sale.Id, "c", default)).Should().BeEmpty();
        await Store.MarkFailedAsync(first, "late", default); // its own id: no collision, and the order stays as it is
        (await Store.FindOrderAsync(first.OrderId, default))!.Status.Should().Be(OrderStatus.PendingPayment);
    }

    [Fact]
    public async Task A_batch_that_would_oversell_is_refused_whole()
    {
        var sale = await NewSaleAsync(stock: 3, perUserLimit: 5);
        await Store.WriteOrdersAsync([Intent(sale, "a", 2)], default);

        var act = () => Store.WriteOrdersAsync([Intent(sale, "b", 1), Intent(sale, "c", 1)], default);

        await act.Should().ThrowAsync<OrderBatchRejectedException>();
        var counters = await Store.GetCountersAsync(sale.Id, default);
        counters.AvailableStock.Should().Be(1, "nothing of the refused batch was written");
        counters.PersistedUnits.Should().Be(2);
        (await Store.GetUserOrdersAsync(sale.Id, "b", default)).Should().BeEmpty();
    }

    [Fact]
    public async Task The_per_user_limit_is_checked_again()
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit: 2);
        await Store.WriteOrdersAsync([Intent(sale, "a", 1)], default);

        var act = () => Store.WriteOrdersAsync([Intent(sale, "a", 2)], default);
        var together = () => Store.WriteOrdersAsync([Intent(sale, "b", 1), Intent(sale, "b", 2)], default);

        await act.Should().ThrowAsync<OrderBatchRejectedException>();
        await together.Should().ThrowAsync<OrderBatchRejectedException>("one batch may not sneak a user past the limit either");
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(9);
    }

    [Fact]
    public async Task A_failed_order_takes_no_stock_and_blocks_its_late_write()
    {
        var sale = await NewSaleAsync(stock: 5, perUserLimit: 2);
        var intent = Intent(sale, "a", 2);

        await Store.MarkFailedAsync(intent, "refused", default);
        await Store.WriteOrdersAsync([intent], default);

        (await Store.FindOrderAsync(intent.OrderId, default))!.Status.Should().Be(OrderStatus.Failed);
        var counters = await Store.GetCountersAsync(sale.Id, default);
        counters.AvailableStock.Should().Be(5);
        counters.PersistedUnits.Should().Be(0);
        counters.OrdersByStatus.Should().BeEquivalentTo(new Dictionary<string, long> { ["failed"] = 1 });
    }

    [Fact]
    public async Task A_failed_order_owes_its_return_to_the_gate_until_it_is_marked_done()
    {
        var sale = await NewSaleAsync(stock: 5, perUserLimit: 2);
        var failed = Intent(sale, "a", 2);
        var written = Intent(sale, "b", 1);
        await Store.WriteOrdersAsync([written], default);
        await Store.MarkFailedAsync(failed, "refused", default);
        await Store.MarkFailedAsync(written, "refused", default); // written after all: stays as it is, owes nothing

        var owed = await Store.GetUnreturnedFailedOrdersAsync(Math.Min(failed.OrderId, written.OrderId) - 1, 10, default);
        owed.Should().ContainSingle(o => o.OrderId == failed.OrderId).Which.Should().Be(failed);
        owed.Should().NotContain(o => o.OrderId == written.OrderId);
        (await Store.GetUnreturnedFailedOrdersAsync(failed.OrderId, 10, default)).Should().NotContain(o => o.OrderId == failed.OrderId, "the page starts after the id given");

        await Store.MarkStockReturnedAsync([failed.OrderId], default);
        await Store.MarkStockReturnedAsync([failed.OrderId], default);
        await Store.MarkStockReturnedAsync([written.OrderId], default);

        (await Store.GetUnreturnedFailedOrdersAsync(failed.OrderId - 1, 10, default)).Should().NotContain(o => o.OrderId == failed.OrderId);
        (await Store.FindOrderAsync(failed.OrderId, default))!.Status.Should().Be(OrderStatus.Failed);
        (await Store.FindOrderAsync(written.OrderId, default))!.Status.Should().Be(OrderStatus.PendingPayment);
    }

    /// <summary>A pending order of <paramref name="sale"/>, written by the order writer, as the store reads it back.</summary>
    private async Task<Order> PendingAsync(Sale sale, string user, int quantity = 1, DateTimeOffset? acceptedAt = null)
    {
        var intent = Intent(sale, user, quantity);
        if (acceptedAt is { } at) intent = intent with { AcceptedAtMs = at.ToUnixTimeMilliseconds() };
        await Store.WriteOrdersAsync([intent], default);
        return (await Store.FindOrderAsync(intent.OrderId, default))!;
    }

    /// <summary>A new sale (stock 10) with one pending order of user "a".</summary>
    private async Task<(Sale Sale, Order Order)> OneOrderAsync(int quantity, int perUserLimit = 2)
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit);
        return (sale, await PendingAsync(sale, "a", quantity));
    }

    private static PaymentReceipt Payment(Order order) =>
        new(new PaymentEvent(Guid.NewGuid().ToString("N"), order.OrderId, PaymentOutcome.Succeeded, order.Amount, "CNY"), "test", DateTimeOffset.UtcNow, "CNY");

    private async Task<Order> ReadAsync(Order order) => (await Store.FindOrderAsync(order.OrderId, default))!;

    private static readonly DateTimeOffset Later = DateTimeOffset.UtcNow.AddDays(1);

    [Fact]
    public async Task A_written_order_costs_price_times_quantity_and_is_due_after_the_sales_payment_timeout()
    {
        var (sale, order) = await OneOrderAsync(3, perUserLimit: 3);

        order.Amount.Should().Be(31.50m);
        order.PaymentDeadline.Should().Be(order.AcceptedAt.AddSeconds(sale.PaymentTimeoutSeconds));
        order.Should().Match<Order>(o => o.PaidAt == null && o.CancelledAt == null && o.CancelReason == null && o.Payment == null && o.Refund == null);
    }

    [Fact]
    public async Task A_payment_pays_a_pending_order_and_the_same_payment_again_changes_nothing()
    {
        var (sale, order) = await OneOrderAsync(2);
        var payment = Payment(order);

        var first = await Store.RecordPaymentAsync(payment, default);
        var paid = await ReadAsync(order);
        var again = await Store.RecordPaymentAsync(payment with { ReceivedAt = payment.ReceivedAt.AddMinutes(1) }, default);

        first.Should().Be(new PaymentRecording(PaymentResult.Paid));
        again.Should().Be(new PaymentRecording(PaymentResult.Paid, Repeated: true));
        paid.Status.Should().Be(OrderStatus.Paid);
        paid.PaidAt.Should().BeCloseTo(payment.ReceivedAt, TimeSpan.FromMilliseconds(1));
        paid.Payment.Should().Be(new OrderPayment(payment.Event.PaymentId, "test", PaymentRecordStatus.Succeeded));
        paid.Refund.Should().BeNull();
        (await ReadAsync(order)).Should().Be(paid, "the repeated payment changed nothing");
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(8);
    }

    [Fact]
    public async Task A_second_payment_of_a_paid_order_is_recorded_as_owed_back()
    {
        var (sale, order) = await OneOrderAsync(2);
        var first = Payment(order);
        await Store.RecordPaymentAsync(first, default);

        var second = await Store.RecordPaymentAsync(Payment(order), default);

        second.Should().Be(new PaymentRecording(PaymentResult.RefundRecorded));
        var read = await ReadAsync(order);
        read.Status.Should().Be(OrderStatus.Paid);
        read.Payment!.PaymentId.Should().Be(first.Event.PaymentId, "the first payment keeps the order");
        read.Refund.Should().Be(new OrderRefund(OrderRefundStatus.Pending, 21.00m));
    }

    [Fact]
    public async Task A_payment_after_the_cancellation_is_owed_back_and_the_order_stays_cancelled()
    {
        var (sale, order) = await OneOrderAsync(1);
        (await Store.CancelAsync(order.OrderId, CancelReason.User, DateTimeOffset.UtcNow, default)).Should().Be(CancelOutcome.Cancelled);
        var payment = Payment(order);

        var outcome = await Store.RecordPaymentAsync(payment, default);
        var again = await Store.RecordPaymentAsync(payment, default);

        outcome.Should().Be(new PaymentRecording(PaymentResult.RefundRecorded));
        again.Should().Be(new PaymentRecording(PaymentResult.RefundRecorded, Repeated: true));
        var read = await ReadAsync(order);
        read.Should().Match<Order>(o => o.Status == OrderStatus.Cancelled && o.CancelReason == CancelReason.User && o.Payment == null && o.PaidAt == null);
        read.Refund.Should().Be(new OrderRefund(OrderRefundStatus.Pending, 10.50m), "recorded once");
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(10);
    }

    [Fact]
    public async Task A_payment_of_another_amount_or_currency_or_order_is_refused_and_changes_nothing()
    {
        var (sale, order) = await OneOrderAsync(2);
        var payment = Payment(order);

        (await Store.RecordPaymentAsync(payment with { Event = payment.Event with { Amount = 21.01m } }, default)).Should().Be(new PaymentRecording(PaymentResult.Mismatch));
        (await Store.RecordPaymentAsync(payment with { Event = payment.Event with { Currency = "USD" } }, default)).Should().Be(new PaymentRecording(PaymentResult.Mismatch));
        (await Store.RecordPaymentAsync(payment with { Event = payment.Event with { OrderId = TestEnvironment.NewId() } }, default)).Should().Be(new PaymentRecording(PaymentResult.UnknownOrder));

        (await ReadAsync(order)).Should().Be(order);
        (await Store.RecordPaymentAsync(payment, default)).Should().Be(new PaymentRecording(PaymentResult.Paid), "the refused ones recorded nothing under the payment id");
    }

    [Fact]
    public async Task A_cancellation_gives_units_and_quota_back_once_and_the_gate_share_stays_owed()
    {
        var (sale, order) = await OneOrderAsync(3, perUserLimit: 3);
        var now = DateTimeOffset.UtcNow;

        var first = await Store.CancelAsync(order.OrderId, CancelReason.Admin, now, default);
        var again = await Store.CancelAsync(order.OrderId, CancelReason.User, now.AddSeconds(1), default);

        first.Should().Be(CancelOutcome.Cancelled);
        again.Should().Be(CancelOutcome.AlreadyCancelled);
        var read = await ReadAsync(order);
        read.Should().Match<Order>(o => o.Status == OrderStatus.Cancelled && o.CancelReason == CancelReason.Admin);
        read.CancelledAt.Should().BeCloseTo(now, TimeSpan.FromMilliseconds(1));
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(10);
        (await Store.GetStockSnapshotAsync(sale.Id, default))!.UserTotals.Should().BeEmpty();
        await Store.WriteOrdersAsync([Intent(sale, "a", 3)], default); // the quota is back: the user may buy 3 again

        (await Store.GetUnreturnedCancelledOrdersAsync(order.OrderId - 1, 10, default)).Should().ContainSingle(o => o.OrderId == order.OrderId)
            .Which.Should().Match<OrderIntent>(o => o.Quantity == 3 && o.UserId == "a" && o.SaleId == sale.Id);
        await Store.MarkStockReturnedAsync([order.OrderId], default);
        (await Store.GetUnreturnedCancelledOrdersAsync(order.OrderId - 1, 10, default)).Should().NotContain(o => o.OrderId == order.OrderId);
        (await Store.GetUnreturnedFailedOrdersAsync(order.OrderId - 1, 10, default)).Should().NotContain(o => o.OrderId == order.OrderId);
    }

    [Fact]
    public async Task A_paid_order_cannot_be_cancelled_and_a_timeout_waits_for_the_deadline()
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit: 2);
        var paid = await PendingAsync(sale, "a");
        await Store.RecordPaymentAsync(Payment(paid), default);
        var pending = await PendingAsync(sale, "b");

        (await Store.CancelAsync(paid.OrderId, CancelReason.Timeout, Later, default)).Should().Be(CancelOutcome.NotCancellable);
        (await Store.CancelAsync(paid.OrderId, CancelReason.Admin, Later, default)).Should().Be(CancelOutcome.NotCancellable);
        (await Store.CancelAsync(pending.OrderId, CancelReason.Timeout, pending.PaymentDeadline.AddMilliseconds(-1), default)).Should().Be(CancelOutcome.NotDue);
        (await Store.CancelAsync(TestEnvironment.NewId(), CancelReason.User, Later, default)).Should().Be(CancelOutcome.UnknownOrder);

        (await ReadAsync(paid)).Status.Should().Be(OrderStatus.Paid);
        (await ReadAsync(pending)).Should().Be(pending);
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(8);
        (await Store.CancelAsync(pending.OrderId, CancelReason.Timeout, pending.PaymentDeadline, default)).Should().Be(CancelOutcome.Cancelled);
    }

    [Fact]
    public async Task The_timeout_cancels_pending_orders_past_their_deadline_in_batches_earliest_first_and_gives_their_units_back()
    {
        var sale = await NewSaleAsync(stock: 10, perUserLimit: 5);
        var t0 = AncientMoment();
        var second = await PendingAsync(sale, "a", quantity: 2, acceptedAt: t0.AddSeconds(2));
        var first = await PendingAsync(sale, "b", acceptedAt: t0);
        var third = await PendingAsync(sale, "a", acceptedAt: t0.AddSeconds(3));
        var paid = await PendingAsync(sale, "d", acceptedAt: t0.AddSeconds(1));
        var notYet = await PendingAsync(sale, "e", acceptedAt: t0.AddSeconds(10));
        await Store.RecordPaymentAsync(Payment(paid), default);
        var now = t0.AddSeconds(sale.PaymentTimeoutSeconds + 3);
        var mine = new[] { first, second, third, paid, notYet }.Select(o => o.OrderId).ToHashSet();

        // Batches of 2; other tests' due orders (the database is shared) may come first: only this test's are judged.
        var batches = new List<IReadOnlyList<OrderIntent>>();
        for (IReadOnlyList<OrderIntent> batch; (batch = await Store.CancelDueAsync(now, 2, default)).Count > 0;) batches.Add(batch);
        batches.Should().OnlyContain(b => b.Count <= 2);
        int BatchOf(Order order) => batches.FindIndex(b => b.Any(i => i.OrderId == order.OrderId));
        var swept = batches.SelectMany(b => b).Where(i => mine.Contains(i.OrderId)).ToList();

        swept.Select(i => i.OrderId).Should().BeEquivalentTo([first.OrderId, second.OrderId, third.OrderId]);
        swept.Single(i => i.OrderId == second.OrderId).Should().Be(second.Intent());
        BatchOf(first).Should().BeLessThanOrEqualTo(BatchOf(second), "the earliest deadlines go first");
        BatchOf(second).Should().BeLessThanOrEqualTo(BatchOf(third));
        BatchOf(first).Should().BeLessThan(BatchOf(third), "two per batch: first and third have second's deadline between them");
        (await Store.CancelDueAsync(now, 1_000, default)).Where(i => mine.Contains(i.OrderId)).Should().BeEmpty("each order is cancelled once");
        foreach (var order in new[] { first, second, third })
        {
            var cancelled = await ReadAsync(order);
            (cancelled.Status, cancelled.CancelReason, cancelled.CancelledAt).Should().Be((OrderStatus.Cancelled, CancelReason.Timeout, now));
        }
        (await ReadAsync(paid)).Status.Should().Be(OrderStatus.Paid);
        (await ReadAsync(notYet)).Status.Should().Be(OrderStatus.PendingPayment, "its deadline has not passed");
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(10 - 2, "the units of the paid and the not-yet-due order stay sold");
        var totals = (await Store.GetStockSnapshotAsync(sale.Id, default))!.UserTotals;
        (totals.GetValueOrDefault("a"), totals.GetValueOrDefault("b")).Should().Be((0, 0), "each user's total gave back the cancelled quantities");
        (await Store.GetUnreturnedCancelledOrdersAsync(0, 10_000, default)).Select(i => i.OrderId).Where(mine.Contains)
            .Should().BeEquivalentTo([first.OrderId, second.OrderId, third.OrderId], "the gate's share is owed until marked");
        await Store.CancelAsync(notYet.OrderId, CancelReason.Timeout, notYet.PaymentDeadline, default);
    }

    [Fact]
    public async Task Payments_racing_the_timeout_sweep_end_with_one_winner_per_order()
    {
        const int Orders = 60;
        var sale = await NewSaleAsync(stock: Orders, perUserLimit: 1);
        var t0 = AncientMoment();
        var orders = await Task.WhenAll(Enumerable.Range(0, Orders).Select(i => PendingAsync(sale, $"u{i}", acceptedAt: t0.AddMilliseconds(i))));
        var now = t0.AddSeconds(sale.PaymentTimeoutSeconds + 1);

        var payments = orders.Select(order => Task.Run(() => Store.RecordPaymentAsync(Payment(order), default))).ToArray();
        var sweeps = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            var cancelled = new List<OrderIntent>();
            for (IReadOnlyList<OrderIntent> batch; (batch = await Store.CancelDueAsync(now, 7, default)).Count > 0;) cancelled.AddRange(batch);
            return cancelled;
        })).ToArray();
        var paymentResults = await Task.WhenAll(payments);
        var swept = (await Task.WhenAll(sweeps)).SelectMany(b => b).Select(i => i.OrderId).Where(orders.Select(o => o.OrderId).ToHashSet().Contains).ToList();

        swept.Should().OnlyHaveUniqueItems("three sweepers never cancel one order twice");
        for (var i = 0; i < Orders; i++)
        {
            var order = await ReadAsync(orders[i]);
            if (swept.Contains(order.OrderId))
            {
                order.Status.Should().Be(OrderStatus.Cancelled);
                paymentResults[i].Result.Should().Be(PaymentResult.RefundRecorded, "a payment that lost to the timeout is owed back");
                order.Refund.Should().Be(new OrderRefund(OrderRefundStatus.Pending, order.Amount));
            }
            else
            {
                order.Status.Should().Be(OrderStatus.Paid);
                paymentResults[i].Result.Should().Be(PaymentResult.Paid);
            }
        }
        var paidUnits = Orders - swept.Count;
        (await Store.GetCountersAsync(sale.Id, default)).AvailableStock.Should().Be(sale.Stock - paidUnits, "each cancelled unit came back once");
        (await Store.GetStockSnapshotAsync(sale.Id, default))!.UserTotals.Values.Sum().Should().Be(paidUnits);
    }

    [Fact]
    public async Task A_failed_payment_is_recorded_once_and_leaves_the_order_payable()
    {
        var (_, order) = await OneOrderAsync(quantity: 1);
        var failed = new PaymentEvent("failed-" + order.OrderId, order.OrderId, PaymentOutcome.Failed, order.Amount, "CNY");

        (await Store.RecordFailedPaymentAsync(failed, "sandbox", DateTimeOffset.UtcNow, default)).Should().BeTrue();
        (await Store.RecordFailedPaymentAsync(failed, "sandbox", DateTimeOffset.UtcNow, default)).Should().BeFalse("once per payment id");
        (await Store.RecordFailedPaymentAsync(failed with { PaymentId = "x-" + order.OrderId, OrderId = TestEnvironment.NewId() }, "sandbox", DateTimeOffset.UtcNow, default))
            .Should().BeFalse("no such order");

        var after = await ReadAsync(order);
        (after.Status, after.FailedPayments).Should().Be((OrderStatus.PendingPayment, 1));
        (await Store.RecordPaymentAsync(Payment(after), default)).Result.Should().Be(PaymentResult.Paid, "the order stays payable");
    }

    [Fact]
    public async Task A_refund_owed_is_listed_until_it_is_marked_refunded()
    {
        var (_, order) = await OneOrderAsync(quantity: 1);
        await Store.RecordPaymentAsync(Payment(order), default);
        var second = Payment(order) with { Event = Payment(order).Event with { PaymentId = "second-" + order.OrderId } };
        (await Store.RecordPaymentAsync(second, default)).Result.Should().Be(PaymentResult.RefundRecorded);

        var owed = await AllOwedAsync();
        owed.Should().ContainSingle(r => r.OrderId == order.OrderId)
            .Which.Should().Be(new OwedRefund(second.Event.PaymentId, order.OrderId, order.Amount, "CNY", second.Provider));
        await Store.MarkRefundedAsync(second.Event.PaymentId, default);
        await Store.MarkRefundedAsync(second.Event.PaymentId, default);

        (await AllOwedAsync()).Should().NotContain(r => r.OrderId == order.OrderId);
        var after = await ReadAsync(order);
        (after.Status, after.Refund).Should().Be((OrderStatus.Paid, new OrderRefund(OrderRefundStatus.Refunded, order.Amount)));
    }

    [Fact]
    public async Task Two_payments_of_one_order_refunded_at_once_leave_the_order_refunded()
    {
        const int Orders = 30;
        var sale = await NewSaleAsync(stock: Orders, perUserLimit: 1);
        var orders = await Task.WhenAll(Enumerable.Range(0, Orders).Select(i => PendingAsync(sale, $"twice{i}")));
        var owed = new List<(Order Order, string First, string Second)>();
        foreach (var order in orders)
        {
            await Store.RecordPaymentAsync(Payment(order), default);
            var (first, second) = ("late1-" + order.OrderId, "late2-" + order.OrderId);
            foreach (var id in new[] { first, second })
            {
                (await Store.RecordPaymentAsync(Payment(order) with { Event = Payment(order).Event with { PaymentId = id } }, default)).Result.Should().Be(PaymentResult.RefundRecorded);
            }
            owed.Add((order, first, second));
        }

        // Two workers, each refunding one of the order's two owed payments, at the same moment.
        await Task.WhenAll(owed.SelectMany(o => new[] { o.First, o.Second }).Select(id => Task.Run(() => Store.MarkRefundedAsync(id, default))));

        foreach (var (order, _, _) in owed)
        {
            (await ReadAsync(order)).Refund.Should().Be(new OrderRefund(OrderRefundStatus.Refunded, 2 * order.Amount), "both are back, so the order's refund is done");
        }
    }

    /// <summary>Every refund owed in the (shared) database, page by page.</summary>
    private async Task<List<OwedRefund>> AllOwedAsync()
    {
        var all = new List<OwedRefund>();
        for (var after = ""; ;)
        {
            var page = await Store.GetPendingRefundsAsync(after, 50, default);
            all.AddRange(page);
            if (page.Count < 50) return all;
            after = page[^1].PaymentId;
        }
    }

    /// <summary>A moment of this test's own, long ago, so that no order of another test is due by the time asked.</summary>
    private static DateTimeOffset AncientMoment() =>
        new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(Random.Shared.Next(5_000_000));

    [Fact]
    public async Task A_payment_racing_the_timeout_has_exactly_one_winner()
    {
        const int Orders = 20, Rounds = 5;
        var sale = await NewSaleAsync(stock: Orders * Rounds, perUserLimit: 1);
        var overdue = DateTimeOffset.UtcNow.AddSeconds(-sale.PaymentTimeoutSeconds - 1);
        for (var round = 0; round < Rounds; round++)
        {
            var orders = await Task.WhenAll(Enumerable.Range(0, Orders).Select(i => PendingAsync(sale, $"r{round}u{i}", acceptedAt: overdue)));
            var races = orders.Select(async order =>
            {
                var pay = Task.Run(() => Store.RecordPaymentAsync(Payment(order), default));
                var cancel = Task.Run(() => Store.CancelAsync(order.OrderId, CancelReason.Timeout, DateTimeOffset.UtcNow, default));
                await Task.WhenAll(pay, cancel);
                return (Order: await ReadAsync(order), Paid: pay.Result, Cancelled: cancel.Result);
            });

            foreach (var (order, paid, cancelled) in await Task.WhenAll(races))
            {
                if (order.Status == OrderStatus.Paid)
                {
                    paid.Result.Should().Be(PaymentResult.Paid);
                    cancelled.Should().Be(CancelOutcome.NotCancellable);
                    order.Refund.Should().BeNull();
                }
                else
                {
                    order.Status.Should().Be(OrderStatus.Cancelled);
                    cancelled.Should().Be(CancelOutcome.Cancelled);
                    paid.Result.Should().Be(PaymentResult.RefundRecorded);
                    order.Refund.Should().Be(new OrderRefund(OrderRefundStatus.Pending, order.Amount));
                }
            }
        }

        var counters = await Store.GetCountersAsync(sale.Id, default);
        var paidUnits = counters.OrdersByStatus.GetValueOrDefault(OrderStatus.Paid);
        counters.OrdersByStatus.GetValueOrDefault(OrderStatus.Cancelled).Should().Be(Orders * Rounds - paidUnits);
        counters.AvailableStock.Should().Be(sale.Stock - paidUnits, "available = stock - pending - paid units: each cancellation gave its unit back once");
        (await Store.GetStockSnapshotAsync(sale.Id, default))!.UserTotals.Values.Sum().Should().Be((int)paidUnits);
    }

    [Fact]
    public async Task Unknown_orders_are_not_found()
    {
        (await Store.FindOrderAsync(TestEnvironment.NewId(), default)).Should().BeNull();
        (await Store.IsReadyAsync(default)).Should().BeTrue();
    }
}

public sealed class SqliteStoreContract : StoreContract, IDisposable
{
    private readonly EmbeddedNode _node = EmbeddedNode.InNewFolder("store");

    protected override IFlashSaleStore Store => _node.Store;

    public void Dispose() => _node.Dispose();
}

public sealed class PostgresStoreContract : StoreContract, IDisposable
{
    private readonly Npgsql.NpgsqlDataSource _dataSource = Npgsql.NpgsqlDataSource.Create(TestEnvironment.Postgres);

    public PostgresStoreContract()
    {
        Store = new FlashSale.Postgres.PostgresFlashSaleStore(_dataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<FlashSale.Postgres.PostgresFlashSaleStore>.Instance);
        Store.MigrateAsync(default).GetAwaiter().GetResult();
    }

    protected override IFlashSaleStore Store { get; }

    public void Dispose() => _dataSource.Dispose();
}
