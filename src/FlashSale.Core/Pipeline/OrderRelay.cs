using Microsoft.Extensions.Hosting;
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
    ILogger<OrderRelay> logger) : BackgroundService
{
    private readonly string _readerName = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var moved = await RelayOnceAsync(stoppingToken).ConfigureAwait(false);
                failures = 0;
                if (moved == 0) await Task.Delay(options.Value.RelayIdleDelay, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                logger.LogWarning(ex, "Order relay failed ({Failures} in a row); retrying", failures);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100 * failures, 2_000)), stoppingToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One pass over every watched ledger; returns how many entries were moved.</summary>
    public async Task<int> RelayOnceAsync(CancellationToken cancellationToken)
    {
        var moved = 0;
        foreach (var saleId in await ledger.GetWatchedSalesAsync(cancellationToken).ConfigureAwait(false))
        {
            var entries = await ledger.ReadAsync(saleId, _readerName, options.Value.RelayBatchSize, cancellationToken).ConfigureAwait(false);
            if (entries.Count == 0) continue;
            await publisher.PublishAsync(entries.Select(e => e.Intent).ToArray(), cancellationToken).ConfigureAwait(false);
            await ledger.AcknowledgeAsync(saleId, entries, cancellationToken).ConfigureAwait(false);
            moved += entries.Count;
        }
        return moved;
    }
}
