using FlashSale.Core.Orders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Reconciliation;

/// <summary>
/// Reconciles every sale that is running or ended recently, each <see cref="ReconciliationOptions.Interval"/>:
/// read-only while a sale runs, with repair once it has ended (the reconciler itself holds back intents whose
/// pipeline has not drained, so a repair never races the writer).
/// </summary>
public sealed class ReconciliationWorker(
    SaleReconciler reconciler,
    IStoreAudit store,
    IFlashSaleStore sales,
    TimeProvider time,
    IOptions<ReconciliationOptions> options,
    ILogger<ReconciliationWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var opts = options.Value;
        if (!opts.Periodic) return;
        using var timer = new PeriodicTimer(opts.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await RunOnceAsync(opts, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunOnceAsync(ReconciliationOptions opts, CancellationToken stoppingToken)
    {
        try
        {
            var now = time.GetUtcNow();
            foreach (var saleId in await store.SalesEndingAfterAsync(now - opts.WatchAfterEnd, stoppingToken).ConfigureAwait(false))
            {
                var sale = await sales.FindSaleAsync(saleId, stoppingToken).ConfigureAwait(false);
                if (sale is null || sale.StartsAt > now) continue;
                await reconciler.ReconcileAsync(saleId, repair: sale.EndsAt <= now, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // A store or gate that cannot be read now is read at the next tick.
            logger.LogWarning(ex, "Reconciliation run failed; trying again in {Interval}", opts.Interval);
        }
    }
}
