using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Tests;

/// <summary>The relay's pass over several watched sales.</summary>
public sealed class OrderRelayTests
{
    [Fact]
    public async Task Watched_sales_are_relayed_side_by_side_so_a_slow_ledger_read_holds_back_no_other_sale()
    {
        // Sale 1's read answers only once sale 2's batch is published: one sale after the other, the pass would time out.
        var ledger = new GatedLedger();
        var publisher = new Publisher(ledger);
        var relay = new OrderRelay(ledger, publisher, Options.Create(new PipelineOptions { CallTimeout = TimeSpan.FromSeconds(5) }), NullLogger<OrderRelay>.Instance);

        (await relay.RelayOnceAsync(CancellationToken.None)).Should().Be(3);

        publisher.Messages.Should().BeEquivalentTo(new[] { "2:20,21", "1:10" });
        ledger.Acknowledged.Should().BeEquivalentTo([10L, 20L, 21L]);
    }

    private sealed class Publisher(GatedLedger ledger) : IOrderQueuePublisher
    {
        public List<string> Messages { get; } = [];

        public Task PublishAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
        {
            lock (Messages) Messages.Add($"{intents[0].SaleId}:{string.Join(',', intents.Select(i => i.OrderId))}");
            if (intents[0].SaleId == 2) ledger.SecondPublished.TrySetResult();
            return Task.CompletedTask;
        }
    }

    private sealed class GatedLedger : IIntentLedger
    {
        public TaskCompletionSource SecondPublished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<long> Acknowledged { get; } = [];
        private int _reads;

        private static LedgerEntry Entry(long sale, long order) => new($"{order}-0", new OrderIntent(order, sale, $"u{order}", 1, $"r{order}", 0));

        public Task<IReadOnlyList<long>> GetWatchedSalesAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<long>>([1, 2]);

        public async Task<IReadOnlyList<LedgerEntry>> ReadAsync(long saleId, string readerName, int maxCount, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _reads) > 2) return [];
            if (saleId == 1)
            {
                await SecondPublished.Task.WaitAsync(cancellationToken);
                return [Entry(1, 10)];
            }
            return [Entry(2, 20), Entry(2, 21)];
        }

        public Task AcknowledgeAsync(long saleId, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
        {
            lock (Acknowledged) Acknowledged.AddRange(entries.Select(e => e.Intent.OrderId));
            return Task.CompletedTask;
        }

        public Task<IReadOnlyList<LedgerEntry>> PeekAsync(long saleId, string? afterEntryId, int maxCount, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<LedgerEntry>>([]);

        public Task TrimAsync(long saleId, IReadOnlyList<LedgerEntry> persisted, CancellationToken cancellationToken) => Task.CompletedTask;

        public Task<bool> TryRetireAsync(long saleId, CancellationToken cancellationToken) => Task.FromResult(false);

        public Task<long> CountUnrelayedAsync(long saleId, CancellationToken cancellationToken, int cap = 10_000) => Task.FromResult(0L);
    }
}
