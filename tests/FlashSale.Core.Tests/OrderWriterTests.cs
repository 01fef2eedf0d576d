using FlashSale.Core.Payments;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Tests;

public sealed class OrderWriterTests
{
    private static OrderIntent Intent(long id) => new(id, 1, $"user{id}", 1, $"r{id}", 0);

    [Fact]
    public async Task One_refused_intent_does_not_hold_back_the_rest_of_its_batch()
    {
        var store = new RefusingStore(refuse: 2);
        var writer = NewWriter(store, new RecordingGate(store.Log));

        var outcomes = await writer.WriteAsync([new(Intent(1), 0), new(Intent(2), 0), new(Intent(3), 0)], default);

        outcomes.Should().Equal(WriteOutcome.Written, WriteOutcome.Retry, WriteOutcome.Written);
        store.Written.Should().BeEquivalentTo([1L, 3L]);
        store.Log.Should().NotContain(e => e.StartsWith("failed", StringComparison.Ordinal) || e.StartsWith("returned", StringComparison.Ordinal));
    }

    [Fact]
    public async Task On_its_last_delivery_a_refused_intent_is_marked_failed_before_its_stock_goes_back()
    {
        var store = new RefusingStore(refuse: 2);
        var writer = NewWriter(store, new RecordingGate(store.Log));

        var outcomes = await writer.WriteAsync([new(Intent(2), PreviousDeliveries: 4)], default);

        outcomes.Should().Equal(WriteOutcome.DeadLetter);
        store.Log.Should().Equal("failed 2", "returned 2");
    }

    [Fact]
    public async Task An_intent_that_cannot_even_be_recorded_as_failed_is_still_dead_lettered()
    {
        var store = new RefusingStore(refuse: 2) { RefuseFailedRows = true };
        var writer = NewWriter(store, new RecordingGate(store.Log));

        var outcomes = await writer.WriteAsync([new(Intent(2), PreviousDeliveries: 4), new(Intent(3), 0)], default);

        outcomes.Should().Equal(WriteOutcome.DeadLetter, WriteOutcome.Written);
        store.Log.Should().Equal("returned 2");
    }

    [Fact]
    public async Task A_database_that_cannot_be_reached_is_not_a_refusal()
    {
        var store = new RefusingStore(refuse: 0) { Outage = new TimeoutException("no database") };
        var writer = NewWriter(store, new RecordingGate(store.Log));

        var act = () => writer.WriteAsync([new(Intent(1), 10)], default);

        await act.Should().ThrowAsync<TimeoutException>();
        store.Log.Should().BeEmpty("an outage must neither fail the order nor return its stock");
    }

    [Fact]
    public async Task Writing_is_tried_again_with_a_growing_pause_while_the_database_cannot_be_reached_until_the_stop()
    {
        var store = new RefusingStore(refuse: 0) { Outage = new TimeoutException("no database"), Outages = 3 };

        var outcomes = await NewWriter(store, new RecordingGate(store.Log)).WriteRetryingAsync([new(Intent(1), 0)], default);

        outcomes.Should().Equal(WriteOutcome.Written);
        store.Written.Should().Equal(1L);
        var pauses = store.Tries.Zip(store.Tries.Skip(1), (a, b) => System.Diagnostics.Stopwatch.GetElapsedTime(a, b).TotalMilliseconds).ToArray();
        pauses.Should().HaveCount(3);
        pauses.Zip(new[] { 200, 400, 600 }).Should().OnlyContain(p => p.First >= p.Second - 5, "200 ms more per failure in a row");
        var down = new RefusingStore(refuse: 0) { Outage = new TimeoutException("no database") };
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var act = () => NewWriter(down, new RecordingGate(down.Log)).WriteRetryingAsync([new(Intent(1), 0)], stop.Token);
        await act.Should().ThrowAsync<OperationCanceledException>();
    }

    [Fact]
    public async Task A_return_the_gate_fails_is_finished_later_by_the_sweeper_exactly_once()
    {
        var store = new RefusingStore(refuse: 2);
        var gate = new RecordingGate(store.Log) { Outages = 1 };
        var writer = NewWriter(store, gate);
        var sweeper = new CompensationSweeper(store, gate, Options.Create(new PipelineOptions { CompensationBatchSize = 1 }), NullLogger<CompensationSweeper>.Instance);

        var outcomes = await writer.WriteAsync([new(Intent(2), PreviousDeliveries: 4)], default);

        outcomes.Should().Equal(WriteOutcome.DeadLetter);
        store.Log.Should().Equal("failed 2");
        store.Unreturned.Should().Equal(2L);

        (await sweeper.SweepAsync(default)).Should().Be(new CompensationSweep(Returned: 1, Pending: 0));
        (await sweeper.SweepAsync(default)).Should().Be(new CompensationSweep(Returned: 0, Pending: 0));
        store.Log.Should().Equal("failed 2", "returned 2");
        store.Unreturned.Should().BeEmpty();
    }

    [Fact]
    public async Task The_sweeper_keeps_what_the_gate_cannot_take_yet_and_pages_through_the_rest()
    {
        var store = new RefusingStore(refuse: 0);
        foreach (var id in new long[] { 5, 6, 7 }) await store.MarkFailedAsync(Intent(id), "refused", default);
        var gate = new RecordingGate(store.Log) { Outages = 1 };
        var sweeper = new CompensationSweeper(store, gate, Options.Create(new PipelineOptions { CompensationBatchSize = 2 }), NullLogger<CompensationSweeper>.Instance);

        (await sweeper.SweepAsync(default)).Should().Be(new CompensationSweep(Returned: 0, Pending: 2));
        store.Unreturned.Should().Equal(5L, 6L, 7L);
        (await sweeper.SweepAsync(default)).Should().Be(new CompensationSweep(Returned: 3, Pending: 0));
        store.Unreturned.Should().BeEmpty();
        store.Log.Should().Equal("failed 5", "failed 6", "failed 7", "returned 5", "returned 6", "returned 7");
    }

    [Fact]
    public async Task The_orders_a_batch_wrote_are_announced_in_one_signal_and_a_failed_one_on_its_own()
    {
        var store = new RefusingStore(refuse: 2);
        var notifier = new CountingNotifier();
        var writer = new OrderWriter(store, new RecordingGate(store.Log), notifier, Options.Create(new PipelineOptions { MaxDeliveryAttempts = 5 }), NullLogger<OrderWriter>.Instance);

        await writer.WriteAsync([new(Intent(1), 0), new(Intent(3), 0), new(Intent(4), 0)], default);
        await writer.WriteAsync([new(Intent(5), 0), new(Intent(2), PreviousDeliveries: 4), new(Intent(6), 0)], default);

        notifier.Signals.Should().Equal("1,3,4:pending_payment", "2:failed", "5,6:pending_payment");
    }

    private sealed class CountingNotifier : FlashSale.Core.Notifications.IOrderNotifier
    {
        public List<string> Signals { get; } = [];

        public ValueTask PublishAsync(FlashSale.Core.Notifications.OrderChanged change, CancellationToken cancellationToken)
        {
            Signals.Add($"{change.OrderId}:{change.Status}");
            return ValueTask.CompletedTask;
        }

        public ValueTask PublishBatchAsync(IReadOnlyList<FlashSale.Core.Notifications.OrderChanged> changes, CancellationToken cancellationToken)
        {
            Signals.Add($"{string.Join(',', changes.Select(c => c.OrderId))}:{string.Join(',', changes.Select(c => c.Status).Distinct())}");
            return ValueTask.CompletedTask;
        }
    }

    private static OrderWriter NewWriter(IFlashSaleStore store, IStockGate gate) =>
        new(store, gate, new FlashSale.Core.Notifications.InProcessOrderNotifier(), Options.Create(new PipelineOptions { MaxDeliveryAttempts = 5 }), NullLogger<OrderWriter>.Instance);

    private sealed class RefusingStore(long refuse) : IFlashSaleStore
    {
        public List<long> Written { get; } = [];
        public List<string> Log { get; } = [];
        public Exception? Outage { get; init; }
        public int Outages { get; set; } = int.MaxValue;
        public List<long> Tries { get; } = [];

        public Task WriteOrdersAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
        {
            Tries.Add(System.Diagnostics.Stopwatch.GetTimestamp());
            if (Outage is not null && Outages-- > 0) throw Outage;
            if (intents.Any(i => i.OrderId == refuse)) throw new OrderBatchRejectedException("refused");
            Written.AddRange(intents.Select(i => i.OrderId));
            return Task.CompletedTask;
        }

        public bool RefuseFailedRows { get; init; }

        public Task MarkFailedAsync(OrderIntent intent, string reason, CancellationToken cancellationToken)
        {
            if (RefuseFailedRows) throw new OrderBatchRejectedException("no such sale");
            Log.Add($"failed {intent.OrderId}");
            _failed.TryAdd(intent.OrderId, (intent, false));
            return Task.CompletedTask;
        }

        private readonly SortedDictionary<long, (OrderIntent Intent, bool Returned)> _failed = [];

        public IEnumerable<long> Unreturned => _failed.Where(f => !f.Value.Returned).Select(f => f.Key);

        public Task<IReadOnlyList<OrderIntent>> GetUnreturnedFailedOrdersAsync(long afterOrderId, int limit, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<OrderIntent>>(_failed.Where(f => f.Key > afterOrderId && !f.Value.Returned).Take(limit).Select(f => f.Value.Intent).ToArray());

        public Task MarkStockReturnedAsync(IReadOnlyList<long> orderIds, CancellationToken cancellationToken)
        {
            foreach (var orderId in orderIds.Where(_failed.ContainsKey)) _failed[orderId] = (_failed[orderId].Intent, true);
            return Task.CompletedTask;
        }

        public Task MigrateAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task<IReadOnlyList<OrderIntent>> GetUnreturnedCancelledOrdersAsync(long afterOrderId, int limit, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<OrderIntent>>([]);
        public Task<PaymentRecording> RecordPaymentAsync(PaymentReceipt payment, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<CancelOutcome> CancelAsync(long orderId, string reason, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<OrderIntent>> CancelDueAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<bool> RecordFailedPaymentAsync(PaymentEvent failed, string provider, DateTimeOffset receivedAt, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<OwedRefund>> GetPendingRefundsAsync(string afterPaymentId, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task MarkRefundedAsync(string paymentId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task CreateSaleAsync(Sale sale, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task<Sale?> FindSaleAsync(long saleId, CancellationToken cancellationToken) => Task.FromResult<Sale?>(null);
        public Task<SaleStockSnapshot?> GetStockSnapshotAsync(long saleId, CancellationToken cancellationToken) => Task.FromResult<SaleStockSnapshot?>(null);
        public Task MarkGateLoadedAsync(long saleId, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task<IReadOnlySet<long>> FindPersistedAsync(IReadOnlyList<long> orderIds, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<Order?> FindOrderAsync(long orderId, CancellationToken cancellationToken) => Task.FromResult<Order?>(null);
        public Task<IReadOnlyList<Order>> GetUserOrdersAsync(long saleId, string userId, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<Order>>([]);
        public Task<StoreSaleCounters> GetCountersAsync(long saleId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Task.FromResult(true);
    }

    /// <summary>Records returns, once per order like the real gates; the first <see cref="Outages"/> calls throw as an unreachable gate does.</summary>
    private sealed class RecordingGate(List<string> log) : IStockGate
    {
        private readonly HashSet<long> _returned = [];

        public int Outages { get; set; }

        public Task<bool> ReturnAsync(OrderIntent intent, CancellationToken cancellationToken)
        {
            if (Outages > 0)
            {
                Outages--;
                throw new GateUnavailableException("Redis unavailable");
            }
            if (!_returned.Add(intent.OrderId)) return Task.FromResult(false);
            log.Add($"returned {intent.OrderId}");
            return Task.FromResult(true);
        }

        public Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<GateLoad> LoadSaleAsync(long saleId, Func<CancellationToken, Task<SaleStockSnapshot?>> readStore, GateLoadMode mode, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
        public Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
