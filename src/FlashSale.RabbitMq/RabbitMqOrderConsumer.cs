using System.Text.Json;
using System.Threading.Channels;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace FlashSale.RabbitMq;

/// <summary>
/// The order writer's feed: consumes the order queue with manual acks, hands batches to
/// <see cref="OrderWriter"/>, and acks each message only after its transaction committed. A refused
/// message is redelivered after a backoff; one refused too often is rejected into the dead-letter queue.
/// </summary>
public sealed class RabbitMqOrderConsumer(
    RabbitMqConnection connection,
    OrderWriter writer,
    IOptions<PipelineOptions> options,
    ILogger<RabbitMqOrderConsumer> logger) : RepeatingWorker
{
    private readonly record struct Delivery(IChannel Channel, ulong Tag, DeliveredIntent Intent);

    /// <summary>Consumes until the channel closes; then again at once on a new one.</summary>
    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
    {
        await ConsumeAsync(stoppingToken).ConfigureAwait(false);
        return Pass.More;
    }

    protected override TimeSpan Pause(int failures) => TimeSpan.FromSeconds(1);

    protected override void LogFailure(Exception exception, int failures) =>
        logger.LogWarning(exception, "Order consumer stopped; reconnecting");

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        var opts = options.Value;
        var conn = await connection.GetAsync(stoppingToken).ConfigureAwait(false);
        await using var channel = await conn.CreateChannelAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
        await channel.BasicQosAsync(0, (ushort)Math.Min(opts.WriterBatchSize * 2, ushort.MaxValue), false, stoppingToken).ConfigureAwait(false);

        var inbox = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, ea) =>
        {
            OrderIntent? intent = null;
            try
            {
                intent = JsonSerializer.Deserialize(ea.Body.Span, OrderMessageJsonContext.Default.OrderIntent);
            }
            catch (JsonException)
            {
            }
            if (intent is null || intent.OrderId <= 0 || intent.Quantity <= 0)
            {
                logger.LogError("Unreadable order message {Tag}; dead-lettering it", ea.DeliveryTag);
                await channel.BasicRejectAsync(ea.DeliveryTag, requeue: false).ConfigureAwait(false);
                return;
            }
            inbox.Writer.TryWrite(new Delivery(channel, ea.DeliveryTag,
                new DeliveredIntent(intent, DeliveryCount(ea.BasicProperties), MessageTraceContext.Extract(ea.BasicProperties))));
        };
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.ChannelShutdownAsync += (_, _) => { closed.TrySetResult(); inbox.Writer.TryComplete(); return Task.CompletedTask; };
        await channel.BasicConsumeAsync(RabbitMqTopology.Queue, autoAck: false, consumer, stoppingToken).ConfigureAwait(false);

        var batch = new List<Delivery>(opts.WriterBatchSize);
        var reader = inbox.Reader;
        while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            batch.Clear();
            await FillBatchAsync(reader, batch, opts, stoppingToken).ConfigureAwait(false);
            await WriteBatchAsync(batch, stoppingToken).ConfigureAwait(false);
        }
        await closed.Task.ConfigureAwait(false);
    }

    private static async Task FillBatchAsync(ChannelReader<Delivery> reader, List<Delivery> batch, PipelineOptions opts, CancellationToken stoppingToken)
    {
        while (batch.Count < opts.WriterBatchSize && reader.TryRead(out var d)) batch.Add(d);
        if (batch.Count >= opts.WriterBatchSize || opts.WriterBatchWait <= TimeSpan.Zero) return;
        // A short wait lets a burst fill the batch: one transaction for many orders.
        await Task.Delay(opts.WriterBatchWait, stoppingToken).ConfigureAwait(false);
        while (batch.Count < opts.WriterBatchSize && reader.TryRead(out var d)) batch.Add(d);
    }

    private async Task WriteBatchAsync(List<Delivery> batch, CancellationToken stoppingToken)
    {
        var intents = batch.Select(d => d.Intent).ToArray();
        var outcomes = await writer.WriteRetryingAsync(intents, stoppingToken).ConfigureAwait(false);

        for (var i = 0; i < batch.Count; i++)
        {
            var d = batch[i];
            switch (outcomes[i])
            {
                case WriteOutcome.Written:
                    await d.Channel.BasicAckAsync(d.Tag, multiple: false, stoppingToken).ConfigureAwait(false);
                    break;
                case WriteOutcome.DeadLetter:
                    await d.Channel.BasicRejectAsync(d.Tag, requeue: false, stoppingToken).ConfigureAwait(false);
                    break;
                case WriteOutcome.Retry:
                    _ = RequeueLaterAsync(d, options.Value.RetryDelay(d.Intent.PreviousDeliveries), stoppingToken);
                    break;
            }
        }
    }

    private async Task RequeueLaterAsync(Delivery delivery, TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            await delivery.Channel.BasicNackAsync(delivery.Tag, multiple: false, requeue: true, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The channel closed: the broker redelivers the unacked message anyway.
            logger.LogDebug(ex, "Requeue of {Tag} skipped", delivery.Tag);
        }
    }

    /// <summary>Quorum queues count redeliveries in the x-delivery-count header (absent on the first).</summary>
    private static int DeliveryCount(IReadOnlyBasicProperties properties) =>
        properties.Headers is { } headers && headers.TryGetValue("x-delivery-count", out var value)
            ? value switch { long l => (int)l, int i => i, _ => 0 }
            : 0;
}
