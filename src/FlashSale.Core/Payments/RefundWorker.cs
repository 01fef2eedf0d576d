using FlashSale.Core.Notifications;
using FlashSale.Core.Orders;
using FlashSale.Core.Telemetry;
using FlashSale.Core.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Payments;

/// <summary>Wakes the refund worker early: a payment was just recorded as owed back.</summary>
public sealed class RefundSignal
{
    private volatile TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Wake() => _next.TrySetResult();

    /// <summary>Waits for <see cref="Wake"/> or <paramref name="timeout"/>, whichever is first.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var next = _next;
        try
        {
            await next.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        Interlocked.CompareExchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), next);
    }
}

/// <summary>
/// Gives back every payment recorded as owed back (<c>refund_pending -> refunded</c>): asks the payment's provider,
/// with the refund's idempotency key (<see cref="PaymentKeys.ForRefund"/>), so a retry after a crash or a timeout never
/// refunds twice. Runs on a wake (<see cref="RefundSignal"/>) and every <see cref="PaymentOptions.RefundInterval"/>.
/// A refund the provider refuses for good stays owed and is logged as an error on every pass: a person must look.
/// </summary>
public sealed class RefundWorker(
    IFlashSaleStore store, IEnumerable<IPaymentProvider> providers, IOrderNotifier notifier, RefundSignal signal,
    IOptions<PaymentOptions> options, ILogger<RefundWorker> logger, TimeProvider time, OrderMetrics? metrics = null) : RepeatingWorker(time)
{
    private const int BatchSize = 100;

    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
    {
        await signal.WaitAsync(options.Value.RefundInterval, Time, stoppingToken).ConfigureAwait(false);
        return (await RefundOwedAsync(stoppingToken).ConfigureAwait(false)).StillOwed == 0 ? Pass.Done : Pass.Unfinished;
    }

    /// <summary>One pass over every payment owed back, a page at a time: how many are back now and how many are still owed.</summary>
    public async Task<(int Refunded, int StillOwed)> RefundOwedAsync(CancellationToken cancellationToken)
    {
        var (after, refunded, owedStill) = ("", 0, 0);
        while (true)
        {
            var owed = await store.GetPendingRefundsAsync(after, BatchSize, cancellationToken).ConfigureAwait(false);
            foreach (var refund in owed)
            {
                after = refund.PaymentId;
                if (await RefundAsync(refund, cancellationToken).ConfigureAwait(false)) refunded++;
                else owedStill++;
            }
            if (owed.Count < BatchSize) return (refunded, owedStill);
        }
    }

    /// <summary>Refunds one payment; true when it is back.</summary>
    private async Task<bool> RefundAsync(OwedRefund refund, CancellationToken cancellationToken)
    {
        var provider = providers.FirstOrDefault(p => p.Name == refund.Provider);
        if (provider is null)
        {
            logger.LogError("Payment {PaymentId} of order {OrderId} is owed back, but its provider '{Provider}' is not configured", refund.PaymentId, refund.OrderId, refund.Provider);
            return false;
        }
        var result = await provider.RefundAsync(new RefundRequest(refund.PaymentId, refund.OrderId, refund.Amount, refund.Currency,
            PaymentKeys.ForRefund(refund.PaymentId), "the order did not take this payment"), cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case RefundStatus.Refunded:
                await store.MarkRefundedAsync(refund.PaymentId, cancellationToken).ConfigureAwait(false);
                metrics?.Refund(OrderMetrics.Refunded);
                logger.LogInformation("Payment {PaymentId} of order {OrderId} refunded: {Amount} {Currency} ({RefundId})",
                    refund.PaymentId, refund.OrderId, refund.Amount, refund.Currency, result.RefundId);
                if (await store.FindOrderAsync(refund.OrderId, cancellationToken).ConfigureAwait(false) is { } order)
                {
                    await notifier.PublishAsync(OrderChanged.Of(order), cancellationToken).ConfigureAwait(false);
                }
                return true;
            case RefundStatus.Pending:
                return false;
            default:
                metrics?.Refund(OrderMetrics.RefundFailed);
                logger.LogError("Payment {PaymentId} of order {OrderId}: the provider refused its refund ({Reason}); it stays owed", refund.PaymentId, refund.OrderId, result.FailureReason);
                return false;
        }
    }

    protected override TimeSpan Pause(int failures) =>
        failures == 0 ? TimeSpan.Zero : Backoff.Doubling(options.Value.RefundInterval, TimeSpan.FromMinutes(1)).Delay(failures);

    protected override void LogFailure(Exception exception, int failures) =>
        logger.LogWarning("Refund pass failed ({Failures} in a row): {Reason}", failures, exception.Message);
}
