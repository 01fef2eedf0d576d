using System.Diagnostics;
using FlashSale.Core.Notifications;
using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Pipeline;

/// <summary>A message from the order queue: the intent and how many times it has been delivered before.</summary>
/// <param name="Publisher">The trace context the message was published in (its headers, or the in-process queue's
/// record of it), when tracing was on there and is here; the writer's span links to it (<see cref="PipelineTracing"/>).</param>
public readonly record struct DeliveredIntent(OrderIntent Intent, int PreviousDeliveries, ActivityContext Publisher = default);

public enum WriteOutcome : byte
{
    /// <summary>In the database (now or before): acknowledge.</summary>
    Written,
    /// <summary>Refused this time: deliver again after a delay.</summary>
    Retry,
    /// <summary>Refused too often: compensated, send to the dead-letter queue.</summary>
    DeadLetter,
}

/// <summary>
/// Turns queued intents into orders, a batch per transaction. When the database refuses a batch, each
/// intent is tried alone so one bad message cannot hold back the others; an intent refused on its last
/// allowed delivery is recorded as a failed order and its stock and quota go back to the gate (now, or
/// by <see cref="CompensationSweeper"/> when that fails). Each order written (pending_payment) or failed is announced
/// to <see cref="IOrderNotifier"/> once committed (a redelivery announces it again: signals are at least once at best).
/// Failures to reach the database are thrown, so the caller keeps the messages and tries again.
/// </summary>
public sealed class OrderWriter(
    IFlashSaleStore store,
    IStockGate gate,
    IOrderNotifier notifier,
    IOptions<PipelineOptions> options,
    ILogger<OrderWriter> logger,
    PipelineMetrics? metrics = null,
    TimeProvider? time = null)
{
    /// <summary>
    /// <see cref="WriteAsync"/>, tried again while the database cannot be written at all (not a refusal): the caller
    /// keeps the messages meanwhile, unacknowledged.
    /// </summary>
    public async Task<WriteOutcome[]> WriteRetryingAsync(IReadOnlyList<DeliveredIntent> batch, CancellationToken cancellationToken)
    {
        using var span = PipelineTracing.StartWriterBatch(batch);
        for (var failures = 1; ; failures++)
        {
            try
            {
                var outcomes = await WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                PipelineTracing.Written(span, outcomes);
                return outcomes;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                span?.AddEvent(new ActivityEvent("write failed; retrying"));
                logger.LogWarning(ex, "Writing {Count} orders failed ({Failures} in a row); retrying", batch.Count, failures);
                await Task.Delay(PipelineOptions.UnreachableDatabaseDelay(failures), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task<WriteOutcome[]> WriteAsync(IReadOnlyList<DeliveredIntent> batch, CancellationToken cancellationToken)
    {
        var outcomes = new WriteOutcome[batch.Count];
        try
        {
            await store.WriteOrdersAsync(batch.Select(b => b.Intent).ToArray(), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < batch.Count; i++) Written(batch[i].Intent);
            for (var i = 0; i < batch.Count; i++) await AnnounceAsync(batch[i].Intent, OrderStatus.PendingPayment, cancellationToken).ConfigureAwait(false);
            return outcomes; // all Written
        }
        catch (OrderBatchRejectedException ex) when (batch.Count > 1)
        {
            logger.LogWarning("Batch of {Count} orders refused ({Reason}); writing them one by one", batch.Count, ex.Message);
        }
        catch (OrderBatchRejectedException ex)
        {
            outcomes[0] = await RefusedAsync(batch[0], ex, cancellationToken).ConfigureAwait(false);
            return outcomes;
        }

        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                await store.WriteOrdersAsync([batch[i].Intent], cancellationToken).ConfigureAwait(false);
                Written(batch[i].Intent);
                await AnnounceAsync(batch[i].Intent, OrderStatus.PendingPayment, cancellationToken).ConfigureAwait(false);
            }
            catch (OrderBatchRejectedException ex)
            {
                outcomes[i] = await RefusedAsync(batch[i], ex, cancellationToken).ConfigureAwait(false);
            }
        }
        return outcomes;
    }

    private async Task<WriteOutcome> RefusedAsync(DeliveredIntent delivered, OrderBatchRejectedException reason, CancellationToken cancellationToken)
    {
        var intent = delivered.Intent;
        if (delivered.PreviousDeliveries + 1 < options.Value.MaxDeliveryAttempts)
        {
            logger.Log(reason.IsOrderIdCollision ? LogLevel.Error : LogLevel.Warning,
                "Order {OrderId} refused on delivery {Attempt}: {Reason}", intent.OrderId, delivered.PreviousDeliveries + 1, reason.Message);
            return WriteOutcome.Retry;
        }

        // The failed row goes in first: should this message come back, its insert finds the row and
        // deducts nothing, so the stock handed back below can never be counted twice. The row also says
        // the return is not done yet, so CompensationSweeper finishes it should anything below fail.
        var recorded = true;
        try
        {
            await store.MarkFailedAsync(intent, reason.Message, cancellationToken).ConfigureAwait(false);
            await AnnounceAsync(intent, OrderStatus.Failed, cancellationToken).ConfigureAwait(false);
        }
        catch (OrderBatchRejectedException ex)
        {
            // Not even a failed row fits (its sale is unknown here, its id is taken): the dead-letter queue is its only record.
            recorded = false;
            logger.LogError("Order {OrderId} cannot be recorded as failed either: {Reason}", intent.OrderId, ex.Message);
        }
        metrics?.Failed(intent.Quantity); // once its fate is settled: a database that could not be reached retries the batch, uncounted
        try
        {
            var returned = await gate.ReturnAsync(intent, cancellationToken).ConfigureAwait(false);
            if (returned) metrics?.Returned(intent.Quantity, PipelineMetrics.FailedOrder);
            if (recorded) await store.MarkStockReturnedAsync([intent.OrderId], cancellationToken).ConfigureAwait(false);
            logger.LogError("Order {OrderId} of sale {SaleId} dead-lettered after {Attempts} deliveries ({Reason}); {Returned} units returned to the gate",
                intent.OrderId, intent.SaleId, delivered.PreviousDeliveries + 1, reason.Message, returned ? intent.Quantity : 0);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (recorded)
            {
                logger.LogError("Order {OrderId} of sale {SaleId} dead-lettered after {Attempts} deliveries ({Reason}); its stock and quota go back to the gate later (compensation sweep): {Error}",
                    intent.OrderId, intent.SaleId, delivered.PreviousDeliveries + 1, reason.Message, ex.Message);
            }
            else
            {
                logger.LogCritical("Order {OrderId} of sale {SaleId} dead-lettered after {Attempts} deliveries ({Reason}); its {Units} units could not be returned to the gate ({Error}) and no failed row records it: return them by hand",
                    intent.OrderId, intent.SaleId, delivered.PreviousDeliveries + 1, reason.Message, intent.Quantity, ex.Message);
            }
        }
        return WriteOutcome.DeadLetter;
    }

    /// <summary>Counts an order in the database (a redelivered one again) and how long after its acceptance it got there.</summary>
    private void Written(OrderIntent intent) =>
        metrics?.Persisted(intent.Quantity, (time ?? TimeProvider.System).GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(intent.AcceptedAtMs));

    private ValueTask AnnounceAsync(OrderIntent intent, string status, CancellationToken cancellationToken) =>
        notifier.PublishAsync(OrderChanged.Of(intent, status), cancellationToken);
}
