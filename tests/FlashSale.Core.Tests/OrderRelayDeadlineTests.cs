using System.Diagnostics;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Tests;

/// <summary>The relay never waits on its ledger longer than the call timeout (a hung server is a failed call).</summary>
public sealed class OrderRelayDeadlineTests
{
    [Fact]
    public async Task A_relay_call_that_never_returns_is_abandoned_at_the_call_timeout()
    {
        var relay = new OrderRelay(new HangingLedger(), new RecordingPublisher(), Options.Create(new PipelineOptions { CallTimeout = TimeSpan.FromMilliseconds(500) }),
            NullLogger<OrderRelay>.Instance);
        var watch = Stopwatch.StartNew();
        var relaying = async () => await relay.RelayOnceAsync(CancellationToken.None);
        await relaying.Should().ThrowAsync<TimeoutException>();
        watch.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(3));
    }

    private sealed class RecordingPublisher : IOrderQueuePublisher
    {
        public Task PublishAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A ledger whose every call ignores its token and never completes.</summary>
    private sealed class HangingLedger : IIntentLedger
    {
        private readonly TaskCompletionSource _never = new();

        public async Task<IReadOnlyList<long>> GetWatchedSalesAsync(CancellationToken cancellationToken)
        {
            await _never.Task;
            return [];
        }

        public async Task<IReadOnlyList<LedgerEntry>> ReadAsync(long saleId, string readerName, int maxCount, CancellationToken cancellationToken)
        {
            await _never.Task;
            return [];
        }

        public Task AcknowledgeAsync(long saleId, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken) => _never.Task;

        public async Task<IReadOnlyList<LedgerEntry>> PeekAsync(long saleId, string? afterEntryId, int maxCount, CancellationToken cancellationToken)
        {
            await _never.Task;
            return [];
        }

        public Task TrimAsync(long saleId, IReadOnlyList<LedgerEntry> persisted, CancellationToken cancellationToken) => _never.Task;

        public async Task<bool> TryRetireAsync(long saleId, CancellationToken cancellationToken)
        {
            await _never.Task;
            return false;
        }

        public async Task<long> CountUnrelayedAsync(long saleId, CancellationToken cancellationToken, int cap = 10_000)
        {
            await _never.Task;
            return 0;
        }
    }
}
