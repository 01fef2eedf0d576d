using FlashSale.Core.Payments;
using FlashSale.Core.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Orders;

/// <summary>
/// The payment timeout: every <see cref="PaymentOptions.TimeoutSweepInterval"/> it cancels, a batch per statement,
/// the pending orders whose payment deadline has passed, through the due index (pending orders by deadline). The
/// database is the only schedule: nothing is lost when a process dies, every worker may sweep (each order is
/// cancelled once), and the cost of a pass is the orders due, not the orders pending.
/// </summary>
public sealed class PaymentTimeoutWorker(OrderCancellation cancellation, IOptions<PaymentOptions> options, ILogger<PaymentTimeoutWorker> logger, TimeProvider time)
    : RepeatingWorker(time)
{
    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
    {
        var batch = options.Value.TimeoutBatchSize;
        return await cancellation.CancelDueAsync(batch, stoppingToken).ConfigureAwait(false) == batch ? Pass.More : Pass.Done;
    }

    protected override TimeSpan Pause(int failures) =>
        Backoff.Doubling(options.Value.TimeoutSweepInterval, TimeSpan.FromSeconds(30)).Delay(failures + 1);

    protected override void LogFailure(Exception exception, int failures) =>
        logger.LogWarning("Payment timeout sweep failed ({Failures} in a row): {Reason}", failures, exception.Message);
}
