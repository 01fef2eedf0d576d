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

    private static OrderWriter NewWriter(IFlashSaleStore store, IStockGate gate) =>
        new(store, gate, Options.Create(new PipelineOptions { MaxDeliveryAttempts = 5 }), NullLogger<OrderWriter>.Instance);

    private sealed class RefusingStore(long refuse) : IFlashSaleStore
    {
        public List<long> Written { get; } = [];
        public List<string> Log { get; } = [];
        public Exception? Outage { get; init; }

        public Task WriteOrdersAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
        {
            if (Outage is not null) throw Outage;
            if (intents.Any(i => i.OrderId == refuse)) throw new OrderBatchRejectedException("refused");
            Written.AddRange(intents.Select(i => i.OrderId));
            return Task.CompletedTask;
        }

        public bool RefuseFailedRows { get; init; }

        public Task MarkFailedAsync(OrderIntent intent, string reason, CancellationToken cancellationToken)
        {
            if (RefuseFailedRows) throw new OrderBatchRejectedException("no such sale");
            Log.Add($"failed {intent.OrderId}");
            return Task.CompletedTask;
        }

        public Task MigrateAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task CreateSaleAsync(Sale sale, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task<Sale?> FindSaleAsync(long saleId, CancellationToken cancellationToken) => Task.FromResult<Sale?>(null);
        public Task<SaleStockSnapshot?> GetStockSnapshotAsync(long saleId, CancellationToken cancellationToken) => Task.FromResult<SaleStockSnapshot?>(null);
        public Task MarkGateLoadedAsync(long saleId, CancellationToken cancellationToken) => Task.CompletedTask;
        public Task<Order?> FindOrderAsync(long orderId, CancellationToken cancellationToken) => Task.FromResult<Order?>(null);
        public Task<IReadOnlyList<Order>> GetUserOrdersAsync(long saleId, string userId, CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<Order>>([]);
        public Task<StoreSaleCounters> GetCountersAsync(long saleId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<bool> IsReadyAsync(CancellationToken cancellationToken) => Task.FromResult(true);
    }

    private sealed class RecordingGate(List<string> log) : IStockGate
    {
        public Task<bool> ReturnFailedAsync(OrderIntent intent, CancellationToken cancellationToken)
        {
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
