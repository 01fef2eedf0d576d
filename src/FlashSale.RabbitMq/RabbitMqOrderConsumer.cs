using System.Diagnostics;
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
/// The order writer's feed: consumes the order queue with manual acks, hands the intents of its messages to
/// <see cref="OrderWriter"/> in batches of up to <see cref="PipelineOptions.WriterBatchSize"/> intents, and acks each
/// message only after all its intents are committed. A message is either one intent or a relay batch of them
/// (<see cref="OrderMessage"/>).
/// <list type="bullet">
/// <item>One intent refused: redelivered after a backoff (nack, requeue); refused too often, rejected into the
/// dead-letter queue (the writer recorded the order failed and returned its stock).</item>
/// <item>A batch message some of whose intents were not written: those that are to be tried again are published as
/// messages of their own after the backoff, carrying the batch's deliveries so far (<see cref="OrderMessage.PriorDeliveriesHeader"/>),
/// those refused too often go to the dead-letter exchange as messages of their own; then the batch is acked. From there
/// each follows the one-intent path. Should that publishing fail, the batch is requeued whole: its written intents are
/// written again, which inserts and deducts nothing.</item>
/// <item>A message that holds no intent is rejected into the dead-letter queue at once; one whose array holds unreadable
/// elements too is rejected there once its readable intents are settled as above.</item>
/// </list>
/// </summary>
public sealed class RabbitMqOrderConsumer(
    RabbitMqConnection connection,
    RabbitMqOrderQueuePublisher publisher,
    OrderWriter writer,
    IOptions<PipelineOptions> options,
    ILogger<RabbitMqOrderConsumer> logger) : RepeatingWorker
{
    /// <summary>Messages in flight on the channel at most when every message is one intent; batch messages are bounded
    /// by <see cref="Prefetch"/>'s other term.</summary>
    private const int SingleIntentPrefetch = 64;

    /// <param name="Unreadable">Elements of the message that are not intents: it ends in the dead-letter queue.</param>
    private sealed record Message(IChannel Channel, ulong Tag, OrderIntent[] Intents, int PreviousDeliveries, ActivityContext Publisher,
        IDictionary<string, object?>? Headers, int Unreadable)
    {
        /// <summary>Settled as a whole by nack or reject, as a message of one intent always was.</summary>
        public bool IsSingle => Intents.Length == 1 && Unreadable == 0;
    }

    /// <summary>Deliveries of one channel settled later (after a backoff): no ack with <c>multiple</c> may cover them meanwhile.</summary>
    private sealed class Held
    {
        private readonly SortedSet<ulong> _tags = [];

        public void Add(ulong tag)
        {
            lock (_tags) _tags.Add(tag);
        }

        public void Remove(ulong tag)
        {
            lock (_tags) _tags.Remove(tag);
        }

        /// <summary>The oldest tag still held, or <see cref="ulong.MaxValue"/>.</summary>
        public ulong Oldest()
        {
            lock (_tags) return _tags.Count == 0 ? ulong.MaxValue : _tags.Min;
        }
    }

    /// <summary>Consumes until the channel closes; then again at once on a new one.</summary>
    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
    {
        await ConsumeAsync(stoppingToken).ConfigureAwait(false);
        return Pass.More;
    }

    protected override TimeSpan Pause(int failures) => TimeSpan.FromSeconds(1);

    protected override void LogFailure(Exception exception, int failures) =>
        logger.LogWarning(exception, "Order consumer stopped; reconnecting");

    /// <summary>
    /// Unacked messages on the channel: two writer batches of relay batches, and at least <see cref="SingleIntentPrefetch"/>
    /// (messages of one intent: redeliveries, hand-published ones) but never more than two writer batches of single intents.
    /// Intents held in memory are thus bounded by the larger of two writer batches and 64 relay batches.
    /// </summary>
    internal static ushort Prefetch(PipelineOptions opts)
    {
        var relayBatches = (2 * opts.WriterBatchSize + opts.RelayBatchSize - 1) / opts.RelayBatchSize;
        return (ushort)Math.Min(Math.Max(relayBatches, Math.Min(SingleIntentPrefetch, 2 * opts.WriterBatchSize)), ushort.MaxValue);
    }

    private async Task ConsumeAsync(CancellationToken stoppingToken)
    {
        var opts = options.Value;
        var conn = await connection.GetAsync(stoppingToken).ConfigureAwait(false);
        await using var channel = await conn.CreateChannelAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
        await channel.BasicQosAsync(0, Prefetch(opts), false, stoppingToken).ConfigureAwait(false);

        var inbox = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true });
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += async (_, ea) =>
        {
            var intents = OrderMessage.Read(ea.Body.Span, out var unreadable);
            if (intents is null)
            {
                logger.LogError("Unreadable order message {Tag}; dead-lettering it", ea.DeliveryTag);
                await channel.BasicRejectAsync(ea.DeliveryTag, requeue: false).ConfigureAwait(false);
                return;
            }
            if (unreadable > 0)
            {
                logger.LogError("Order message {Tag} holds {Unreadable} unreadable elements besides {Readable} intents; the intents are written, then the message is dead-lettered",
                    ea.DeliveryTag, unreadable, intents.Length);
            }
            var headers = ea.BasicProperties.Headers;
            inbox.Writer.TryWrite(new Message(channel, ea.DeliveryTag, intents, OrderMessage.PreviousDeliveries(ea.BasicProperties),
                MessageTraceContext.Extract(ea.BasicProperties), intents.Length > 1 || unreadable > 0 ? headers : null, unreadable));
        };
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.ChannelShutdownAsync += (_, _) => { closed.TrySetResult(); inbox.Writer.TryComplete(); return Task.CompletedTask; };
        await channel.BasicConsumeAsync(RabbitMqTopology.Queue, autoAck: false, consumer, stoppingToken).ConfigureAwait(false);

        var batch = new List<Message>();
        var intentsOfBatch = new List<DeliveredIntent>(opts.WriterBatchSize);
        var held = new Held();
        var reader = inbox.Reader;
        while (await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
        {
            batch.Clear();
            intentsOfBatch.Clear();
            await FillBatchAsync(reader, batch, intentsOfBatch, opts, stoppingToken).ConfigureAwait(false);
            await WriteBatchAsync(channel, batch, intentsOfBatch, held, stoppingToken).ConfigureAwait(false);
        }
        await closed.Task.ConfigureAwait(false);
    }

    private static async Task FillBatchAsync(ChannelReader<Message> reader, List<Message> batch, List<DeliveredIntent> intents, PipelineOptions opts, CancellationToken stoppingToken)
    {
        if (Take(reader, batch, intents, opts.WriterBatchSize) || opts.WriterBatchWait <= TimeSpan.Zero) return;
        // A short wait lets a burst fill the batch: one transaction for many orders.
        await Task.Delay(opts.WriterBatchWait, stoppingToken).ConfigureAwait(false);
        Take(reader, batch, intents, opts.WriterBatchSize);
    }

    /// <summary>Takes whole messages while their intents fit in the batch (a first message always fits); true when the batch is full.</summary>
    private static bool Take(ChannelReader<Message> reader, List<Message> batch, List<DeliveredIntent> intents, int max)
    {
        while (reader.TryPeek(out var m))
        {
            if (intents.Count > 0 && intents.Count + m.Intents.Length > max) return true;
            reader.TryRead(out _);
            batch.Add(m);
            foreach (var intent in m.Intents) intents.Add(new DeliveredIntent(intent, m.PreviousDeliveries, m.Publisher));
        }
        return intents.Count >= max;
    }

    private async Task WriteBatchAsync(IChannel channel, List<Message> batch, List<DeliveredIntent> intents, Held held, CancellationToken stoppingToken)
    {
        var outcomes = await writer.WriteRetryingAsync(intents, stoppingToken).ConfigureAwait(false);

        // Every delivery before this batch's is settled but those still held: up to the first message that is not acked
        // now, one ack with `multiple` settles them all, unless a held one lies below.
        var oldestHeld = held.Oldest();
        var run = batch.Count > 0 && batch[0].Tag < oldestHeld; // still in the leading run of written messages
        ulong runEnd = 0;
        var offset = 0;
        foreach (var m in batch)
        {
            var mine = outcomes.AsSpan(offset, m.Intents.Length);
            offset += m.Intents.Length;
            if (m.Unreadable == 0 && AllWritten(mine))
            {
                if (run) runEnd = m.Tag;
                else await channel.BasicAckAsync(m.Tag, multiple: false, stoppingToken).ConfigureAwait(false);
                continue;
            }
            run = false;
            if (m.IsSingle)
            {
                if (mine[0] == WriteOutcome.DeadLetter)
                {
                    await channel.BasicRejectAsync(m.Tag, requeue: false, stoppingToken).ConfigureAwait(false);
                }
                else
                {
                    held.Add(m.Tag);
                    _ = RequeueLaterAsync(m, held, stoppingToken);
                }
                continue;
            }
            held.Add(m.Tag);
            _ = SplitLaterAsync(m, mine.ToArray(), held, stoppingToken);
        }
        if (runEnd != 0) await channel.BasicAckAsync(runEnd, multiple: true, stoppingToken).ConfigureAwait(false);
    }

    /// <summary>A refused intent alone in its message: back on the queue after the backoff (the quorum queue counts the delivery).</summary>
    private async Task RequeueLaterAsync(Message m, Held held, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(options.Value.RetryDelay(m.PreviousDeliveries), stoppingToken).ConfigureAwait(false);
            await m.Channel.BasicNackAsync(m.Tag, multiple: false, requeue: true, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The channel closed: the broker redelivers the unacked message anyway.
            logger.LogDebug(ex, "Requeue of {Tag} skipped", m.Tag);
        }
        finally
        {
            held.Remove(m.Tag);
        }
    }

    /// <summary>
    /// A batch message not wholly written: its dead intents to the dead-letter exchange now, those to try again to the queue
    /// after the backoff, each alone and counting this delivery; then the batch is acked (rejected, when it held unreadable
    /// elements). Should publishing fail, the batch is requeued whole instead.
    /// </summary>
    private async Task SplitLaterAsync(Message m, WriteOutcome[] outcomes, Held held, CancellationToken stoppingToken)
    {
        try
        {
            var deliveries = m.PreviousDeliveries + 1;
            var dead = Pick(m.Intents, outcomes, WriteOutcome.DeadLetter);
            if (dead.Count > 0)
                await publisher.PublishEachAsync(dead, deliveries, m.Headers, "refused", stoppingToken).ConfigureAwait(false);
            var retry = Pick(m.Intents, outcomes, WriteOutcome.Retry);
            if (retry.Count > 0)
            {
                await Task.Delay(options.Value.RetryDelay(m.PreviousDeliveries), stoppingToken).ConfigureAwait(false);
                await publisher.PublishEachAsync(retry, deliveries, m.Headers, deadLetterReason: null, stoppingToken).ConfigureAwait(false);
            }
            if (m.Unreadable > 0) await m.Channel.BasicRejectAsync(m.Tag, requeue: false, stoppingToken).ConfigureAwait(false);
            else await m.Channel.BasicAckAsync(m.Tag, multiple: false, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            logger.LogWarning(ex, "Order message {Tag}: its unwritten intents could not be published alone; requeueing it whole", m.Tag);
            try
            {
                await m.Channel.BasicNackAsync(m.Tag, multiple: false, requeue: true, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception again)
            {
                // The channel closed: the broker redelivers the unacked message anyway.
                logger.LogDebug(again, "Requeue of {Tag} skipped", m.Tag);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: the unacked message is redelivered to the next consumer.
        }
        finally
        {
            held.Remove(m.Tag);
        }
    }

    private static bool AllWritten(ReadOnlySpan<WriteOutcome> outcomes)
    {
        foreach (var outcome in outcomes) if (outcome != WriteOutcome.Written) return false;
        return true;
    }

    private static List<OrderIntent> Pick(OrderIntent[] intents, WriteOutcome[] outcomes, WriteOutcome wanted)
    {
        var picked = new List<OrderIntent>();
        for (var i = 0; i < intents.Length; i++) if (outcomes[i] == wanted) picked.Add(intents[i]);
        return picked;
    }
}
