using FlashSale.Core.Orders;
using FlashSale.Core.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Reconciliation;

/// <summary>
/// Reconciles every sale that is running or ended recently, each <see cref="ReconciliationOptions.Interval"/>:
/// read-only while a sale runs, with repair once it has ended (the reconciler itself holds back intents whose
/// pipeline has not drained, so a repair never races the writer). A store or gate that cannot be read now is
/// read at the next run.
/// </summary>
public sealed class ReconciliationWorker(
    SaleReconciler reconciler,
    IStoreAudit store,
    IFlashSaleStore sales,
    TimeProvider time,
    IOptions<ReconciliationOptions> options,
    ILogger<ReconciliationWorker> logger) : RepeatingWorker(time)
{
    /// <summary>Runs only where <see cref="ReconciliationOptions.Periodic"/> is on.</summary>
    public override Task StartAsync(CancellationToken cancellationToken) =>
        options.Value.Periodic ? base.StartAsync(cancellationToken) : Task.CompletedTask;

    protected override TimeSpan FirstPause => options.Value.Interval;

    protected override TimeSpan Pause(int failures) => options.Value.Interval;

    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
    {
        var opts = options.Value;
        var now = Time.GetUtcNow();
        foreach (var saleId in await store.SalesEndingAfterAsync(now - opts.WatchAfterEnd, stoppingToken).ConfigureAwait(false))
        {
            var sale = await sales.FindSaleAsync(saleId, stoppingToken).ConfigureAwait(false);
            if (sale is null || sale.StartsAt > now) continue;
            await reconciler.ReconcileAsync(saleId, repair: sale.EndsAt <= now, stoppingToken).ConfigureAwait(false);
        }
        return Pass.Done;
    }

    protected override void LogFailure(Exception exception, int failures) =>
        logger.LogWarning(exception, "Reconciliation run failed; trying again in {Interval}", options.Value.Interval);
}
