using FlashSale.Core.Notifications;
using FlashSale.Core.Orders;
using FlashSale.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Payments;

/// <summary>
/// The one code path a payment's outcome takes, from <c>POST /api/payments/webhook</c> and from the sandbox alike:
/// the signature and the event are checked first (<see cref="PaymentWebhook"/>), then the store records it. A succeeded
/// payment pays a pending order, or, when the order cannot take it (cancelled by the timeout, paid by another payment),
/// is recorded as owed back and the refund worker returns it. A failed payment leaves the order payable. Repeats change
/// nothing and answer as the first delivery did.
/// </summary>
public sealed class PaymentRecorder(
    PaymentWebhook webhook, IFlashSaleStore store, IOrderNotifier notifier, RefundSignal refunds,
    IOptions<PaymentOptions> options, TimeProvider time, ILogger<PaymentRecorder> logger, OrderMetrics? metrics = null) : IPaymentEventSink
{
    public async Task<WebhookDelivery> DeliverAsync(ReadOnlyMemory<byte> body, string? signature, CancellationToken cancellationToken)
    {
        var read = webhook.Read(body.Span, signature);
        if (read.Event is not { } paymentEvent)
        {
            logger.LogWarning("Payment webhook refused ({Status}): {Refusal}", read.Status, read.Refusal);
            return read.Status;
        }
        var provider = options.Value.Provider;
        if (paymentEvent.Status == PaymentOutcome.Failed)
        {
            var recorded = await store.RecordFailedPaymentAsync(paymentEvent, provider, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            if (recorded)
            {
                logger.LogInformation("Payment {PaymentId} of order {OrderId} failed; the order stays payable", paymentEvent.PaymentId, paymentEvent.OrderId);
                metrics?.Payment(OrderMetrics.FailedPayment);
            }
            else if (await store.FindOrderAsync(paymentEvent.OrderId, cancellationToken).ConfigureAwait(false) is null) return WebhookDelivery.UnknownOrder;
            return WebhookDelivery.Processed;
        }

        var recording = await store.RecordPaymentAsync(new PaymentReceipt(paymentEvent, provider, time.GetUtcNow(), options.Value.Currency), cancellationToken).ConfigureAwait(false);
        switch (recording.Result)
        {
            case PaymentResult.Mismatch:
                logger.LogError("Payment {PaymentId} for order {OrderId} refused: {Amount} {Currency} is not what the order costs; reported, nothing recorded",
                    paymentEvent.PaymentId, paymentEvent.OrderId, paymentEvent.Amount, paymentEvent.Currency);
                metrics?.Payment(OrderMetrics.Refused);
                return WebhookDelivery.AmountMismatch;
            case PaymentResult.UnknownOrder:
                logger.LogWarning("Payment {PaymentId} names order {OrderId}, which the database does not hold", paymentEvent.PaymentId, paymentEvent.OrderId);
                return WebhookDelivery.UnknownOrder;
        }
        if (recording.Repeated) return WebhookDelivery.Processed;
        metrics?.Payment(recording.Result == PaymentResult.RefundRecorded ? OrderMetrics.RefundPending : OrderMetrics.Paid);

        var order = await store.FindOrderAsync(paymentEvent.OrderId, cancellationToken).ConfigureAwait(false);
        if (recording.Result == PaymentResult.RefundRecorded)
        {
            logger.LogWarning("Payment {PaymentId} for order {OrderId} not honoured (the order is {Status}): {Amount} {Currency} owed back",
                paymentEvent.PaymentId, paymentEvent.OrderId, order?.Status, paymentEvent.Amount, paymentEvent.Currency);
            refunds.Wake();
        }
        if (order is not null)
        {
            await notifier.PublishAsync(OrderChanged.Of(order), cancellationToken).ConfigureAwait(false);
        }
        return WebhookDelivery.Processed;
    }
}
