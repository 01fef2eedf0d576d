using FlashSale.Core.Orders;
using FlashSale.Core.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Pipeline;

/// <summary>
/// Moves winners from the gate's ledger to the order queue, at least once: an entry is acknowledged in
/// the ledger only after the queue confirmed it, and entries a crashed relay left unacknowledged are
/// taken over by the next read.
/// </summary>
public sealed class OrderRelay(
    IIntentLedger ledger,
    IOrderQueuePublisher publisher,
    IOptions<PipelineOptions> options,
    ILogger<OrderRelay> logger) : RepeatingWorker
{
    private readonly string _readerName = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    /// <summary>Straight on only after a full read: a partial one means the ledger is drained, and the pause lets the next
    /// read (and the one broker publish it makes) gather what the gate accepts meanwhile instead of one entry per read.</summary>
    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken) =>
        await RelayOnceAsync(stoppingToken).ConfigureAwait(false) >= options.Value.RelayBatchSize ? Pass.More : Pass.Done;

    protected override TimeSpan Pause(int failures) => failures == 0 ? options.Value.RelayIdleDelay : PipelineOptions.RelayFailureDelay(failures);

    protected override void LogFailure(Exception exception, int failures) =>
        logger.LogWarning(exception, "Order relay failed ({Failures} in a row); retrying", failures);

    /// <summary>Watched sales relayed at once: their reads, publishes and acks share round trips (and the gate's fsyncs).</summary>
    private const int SalesAtOnce = 16;

    /// <summary>
    /// One pass over every watched ledger, the sales side by side (one sale's round trips never wait for another's); returns
    /// how many entries were moved. A sale that fails fails the pass once the others are done.
    /// </summary>
    public async Task<int> RelayOnceAsync(CancellationToken cancellationToken)
    {
        var sales = await WithDeadlineAsync(ledger.GetWatchedSalesAsync, cancellationToken).ConfigureAwait(false);
        if (sales.Count == 1) return await RelaySaleAsync(sales[0], cancellationToken).ConfigureAwait(false);
        var moved = 0;
        List<Exception>? failures = null;
        for (var first = 0; first < sales.Count; first += SalesAtOnce)
        {
            var relays = new Task<int>[Math.Min(SalesAtOnce, sales.Count - first)];
            for (var i = 0; i < relays.Length; i++) relays[i] = RelaySaleAsync(sales[first + i], cancellationToken);
            foreach (var relay in relays)
            {
                try
                {
                    moved += await relay.ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    (failures ??= []).Add(ex);
                }
            }
        }
        if (failures is not null) throw failures.Count == 1 ? failures[0] : new AggregateException(failures);
        return moved;
    }

    private async Task<int> RelaySaleAsync(long saleId, CancellationToken cancellationToken)
    {
        var entries = await WithDeadlineAsync(ct => ledger.ReadAsync(saleId, _readerName, options.Value.RelayBatchSize, ct), cancellationToken).ConfigureAwait(false);
        if (entries.Count == 0) return 0;
        var intents = new OrderIntent[entries.Count];
        for (var i = 0; i < intents.Length; i++) intents[i] = entries[i].Intent;
        // Current while publishing: the queue sends its context with the message.
        using var span = PipelineTracing.StartRelayPublish(saleId, entries);
        try
        {
            await WithDeadlineAsync(async ct => { await publisher.PublishAsync(intents, ct).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
            await WithDeadlineAsync(async ct => { await ledger.AcknowledgeAsync(saleId, entries, ct).ConfigureAwait(false); return true; }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (PipelineTracing.Failed(span, ex))
        {
            throw; // never reached: the filter only marks the span
        }
        return entries.Count;
    }

    /// <summary>
    /// One remote call, given <see cref="PipelineOptions.CallTimeout"/>: past it the call is abandoned with a
    /// <see cref="TimeoutException"/> (even if it ignores its token), and the loop retries. An entry published
    /// but not acknowledged is published again: at least once, and the writer is idempotent.
    /// </summary>
    private async Task<T> WithDeadlineAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var timeout = options.Value.CallTimeout;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await call(deadline.Token).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"A relay call took longer than {timeout.TotalMilliseconds:F0} ms");
        }
    }
}
