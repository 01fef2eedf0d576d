using FlashSale.Core.Orders;
using FlashSale.Core.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Pipeline;

/// <summary>
/// Keeps the ledger as small as what is still on its way: entries whose orders the database holds are removed
/// (relayed is not enough: a gate rebuilt after losing its keys counts the ledger's entries the database does
/// not hold yet), and a sale that has ended with nothing left is no longer watched and its ledger dropped.
/// </summary>
public sealed class LedgerTrimmer(
    IIntentLedger ledger,
    IFlashSaleStore store,
    IOptions<PipelineOptions> options,
    ILogger<LedgerTrimmer> logger) : RepeatingWorker
{
    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
    {
        await TrimOnceAsync(stoppingToken).ConfigureAwait(false);
        return Pass.Done;
    }

    protected override TimeSpan Pause(int failures) => options.Value.LedgerTrimInterval;

    protected override void LogFailure(Exception exception, int failures) =>
        logger.LogWarning("Ledger trim failed; trying again later: {Reason}", exception.Message);

    /// <summary>One pass over every watched sale; returns how many entries were removed.</summary>
    public async Task<int> TrimOnceAsync(CancellationToken cancellationToken)
    {
        var batch = options.Value.LedgerTrimBatchSize;
        var trimmed = 0;
        foreach (var saleId in await ledger.GetWatchedSalesAsync(cancellationToken).ConfigureAwait(false))
        {
            string? after = null;
            for (var page = 0; page < options.Value.LedgerTrimPagesPerSale; page++)
            {
                var entries = await ledger.PeekAsync(saleId, after, batch, cancellationToken).ConfigureAwait(false);
                if (entries.Count == 0) break;
                var persisted = await store.FindPersistedAsync(entries.Select(e => e.Intent.OrderId).ToArray(), cancellationToken).ConfigureAwait(false);
                var done = entries.Where(e => persisted.Contains(e.Intent.OrderId)).ToArray();
                await ledger.TrimAsync(saleId, done, cancellationToken).ConfigureAwait(false);
                trimmed += done.Length;
                after = entries[^1].EntryId; // what is left behind is still on its way to the database
            }
            await ledger.TryRetireAsync(saleId, cancellationToken).ConfigureAwait(false);
        }
        return trimmed;
    }
}
