using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Telemetry;
using FlashSale.Core.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Pipeline;

/// <summary>What one sweep did: orders whose return is now recorded, and orders still waiting for it.</summary>
public readonly record struct CompensationSweep(int Returned, int Pending);

/// <summary>
/// Finishes compensation: a failed or cancelled order's units and quota go back to the gate, and the store records
/// that they did. <see cref="OrderWriter"/> (failed orders) and <see cref="OrderCancellation"/> (cancelled ones) try
/// this at once; whatever a crash, an outage of the gate or of the store left undone between the row and that record
/// is found here and retried, every
/// <see cref="PipelineOptions.CompensationInterval"/>, backing off while it keeps failing. Safe to repeat
/// and to run in several workers: the gate gives each order back at most once.
/// </summary>
public sealed class CompensationSweeper(
    IFlashSaleStore store,
    IStockGate gate,
    IOptions<PipelineOptions> options,
    ILogger<CompensationSweeper> logger,
    PipelineMetrics? metrics = null) : RepeatingWorker
{
    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken) =>
        (await SweepAsync(stoppingToken).ConfigureAwait(false)).Pending == 0 ? Pass.Done : Pass.Unfinished;

    protected override TimeSpan Pause(int failures) => options.Value.CompensationDelay(failures);

    protected override void LogFailure(Exception exception, int failures) =>
        logger.LogWarning("Compensation sweep failed ({Failures} in a row): {Reason}", failures, exception.Message);

    /// <summary>One pass over every failed, then every cancelled order not yet recorded as returned. Store failures are
    /// thrown; a gate that cannot be reached ends the pass early (the rest waits for the next one).</summary>
    public async Task<CompensationSweep> SweepAsync(CancellationToken cancellationToken)
    {
        var failed = await SweepAsync(store.GetUnreturnedFailedOrdersAsync, "Failed", cancellationToken).ConfigureAwait(false);
        if (failed.Pending > 0) return failed;
        var cancelled = await SweepAsync(store.GetUnreturnedCancelledOrdersAsync, "Cancelled", cancellationToken).ConfigureAwait(false);
        return cancelled with { Returned = failed.Returned + cancelled.Returned };
    }

    private async Task<CompensationSweep> SweepAsync(
        Func<long, int, CancellationToken, Task<IReadOnlyList<OrderIntent>>> unreturned, string kind, CancellationToken cancellationToken)
    {
        var opts = options.Value;
        var returned = 0;
        var after = 0L;
        while (true)
        {
            var page = await unreturned(after, opts.CompensationBatchSize, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < page.Count; i++)
            {
                var intent = page[i];
                after = intent.OrderId;
                bool given;
                try
                {
                    given = await gate.ReturnAsync(intent, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogWarning("{Kind} order {OrderId}: its stock and quota cannot go back to the gate yet ({Reason}); retrying later", kind, intent.OrderId, ex.Message);
                    return new CompensationSweep(returned, page.Count - i);
                }
                if (given) metrics?.Returned(intent.Quantity, kind == "Failed" ? PipelineMetrics.FailedOrder : PipelineMetrics.CancelledOrder);
                await store.MarkStockReturnedAsync([intent.OrderId], cancellationToken).ConfigureAwait(false);
                returned++;
                logger.LogInformation("{Kind} order {OrderId} of sale {SaleId}: compensation done, {Units} units and user {UserId}'s quota {How}",
                    kind, intent.OrderId, intent.SaleId, intent.Quantity, intent.UserId, given ? "returned to the gate now" : "already back (or the gate does not hold the sale)");
            }
            if (page.Count < opts.CompensationBatchSize) return new CompensationSweep(returned, 0);
        }
    }
}
