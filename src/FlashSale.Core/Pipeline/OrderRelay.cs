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

    /// <summary>One pass over every watched ledger; returns how many entries were moved.</summary>
    public async Task<int> RelayOnceAsync(CancellationToken cancellationToken)
    {
        var moved = 0;
        foreach (var saleId in await WithDeadlineAsync(ledger.GetWatchedSalesAsync, cancellationToken).ConfigureAwait(false))
        {
            var entries = await WithDeadlineAsync(ct => ledger.ReadAsync(saleId, _readerName, options.Value.RelayBatchSize, ct), cancellationToken).ConfigureAwait(false);
            if (entries.Count == 0) continue;
            var intents = entries.Select(e => e.Intent).ToArray();
            // Current while publishing: the queue sends its context with each message.
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
            moved += entries.Count;
        }
        return moved;
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
