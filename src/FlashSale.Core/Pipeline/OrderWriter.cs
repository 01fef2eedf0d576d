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
/// to <see cref="IOrderNotifier"/> once committed, the written ones of a batch in one signal (a redelivery announces them
/// again: signals are at least once at best).
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
        var intents = new OrderIntent[batch.Count];
        for (var i = 0; i < intents.Length; i++) intents[i] = batch[i].Intent;
        try
        {
            await store.WriteOrdersAsync(intents, cancellationToken).ConfigureAwait(false);
            Written(intents);
            await AnnounceAsync(intents, cancellationToken).ConfigureAwait(false);
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

        var written = new List<OrderIntent>(intents.Length);
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                await store.WriteOrdersAsync([intents[i]], cancellationToken).ConfigureAwait(false);
                written.Add(intents[i]);
            }
            catch (OrderBatchRejectedException ex)
            {
                outcomes[i] = await RefusedAsync(batch[i], ex, cancellationToken).ConfigureAwait(false);
            }
        }
        Written(written);
        await AnnounceAsync(written, cancellationToken).ConfigureAwait(false);
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

    /// <summary>Counts orders in the database (redelivered ones again) and how long after their acceptance they got there.</summary>
    private void Written(IReadOnlyList<OrderIntent> intents)
    {
        if (metrics is null || intents.Count == 0) return;
        var now = (time ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 0; i < intents.Count; i++) metrics.Persisted(intents[i].Quantity, TimeSpan.FromMilliseconds(now - intents[i].AcceptedAtMs));
    }

    /// <summary>Announces written orders as pending payment: one signal for the batch.</summary>
    private ValueTask AnnounceAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
    {
        if (intents.Count == 0) return ValueTask.CompletedTask;
        var changes = new OrderChanged[intents.Count];
        for (var i = 0; i < changes.Length; i++) changes[i] = OrderChanged.Of(intents[i], OrderStatus.PendingPayment);
        return notifier.PublishBatchAsync(changes, cancellationToken);
    }

    private ValueTask AnnounceAsync(OrderIntent intent, string status, CancellationToken cancellationToken) =>
        notifier.PublishAsync(OrderChanged.Of(intent, status), cancellationToken);
}
