using System.Globalization;
using System.Text.Json;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using RabbitMQ.Client;

namespace FlashSale.RabbitMq;

/// <summary>
/// Publishes intents persistent, mandatory and with publisher confirms; returns only once the broker confirmed. A relay
/// batch is one message (<see cref="OrderMessage"/>: a JSON array, or an object for a batch of one), so the broker's work
/// is per batch, not per order. Each message carries the trace context current at publish in its headers
/// (<see cref="MessageTraceContext"/>).
/// </summary>
public sealed class RabbitMqOrderQueuePublisher(RabbitMqConnection connection) : IOrderQueuePublisher, IAsyncDisposable
{
    private readonly Reopening<IChannel> _channel = new(c => c.IsOpen);
    private int _disposed;

    public async Task PublishAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
    {
        if (intents.Count == 0) return;
        var body = intents.Count == 1
            ? JsonSerializer.SerializeToUtf8Bytes(intents[0], OrderMessageJsonContext.Default.OrderIntent)
            : JsonSerializer.SerializeToUtf8Bytes(intents, OrderMessageJsonContext.Default.IReadOnlyListOrderIntent);
        var properties = new BasicProperties
        {
            Persistent = true,
            ContentType = "application/json",
            MessageId = intents.Count == 1 ? intents[0].OrderId.ToString(CultureInfo.InvariantCulture) : null,
            // The relay's span, when traced: the writer's span links to it.
            Headers = MessageTraceContext.Inject(),
        };
        await PublishConfirmedAsync([(RabbitMqTopology.Exchange, properties, body)], intents.Count, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes each of <paramref name="intents"/> as a message of its own, with <paramref name="priorDeliveries"/> in
    /// <see cref="OrderMessage.PriorDeliveriesHeader"/> and the trace context of <paramref name="original"/>'s headers: to the
    /// order queue, or with a <paramref name="deadLetterReason"/> straight to the dead-letter exchange. The consumer splits
    /// a batch message this way when some of its intents were not written.
    /// </summary>
    internal Task PublishEachAsync(IReadOnlyList<OrderIntent> intents, int priorDeliveries, IDictionary<string, object?>? original,
        string? deadLetterReason, CancellationToken cancellationToken)
    {
        var messages = new (string, BasicProperties, byte[])[intents.Count];
        for (var i = 0; i < intents.Count; i++)
        {
            var headers = new Dictionary<string, object?>(4, StringComparer.Ordinal) { [OrderMessage.PriorDeliveriesHeader] = (long)priorDeliveries };
            if (deadLetterReason is not null) headers[OrderMessage.DeadLetterReasonHeader] = deadLetterReason;
            MessageTraceContext.Copy(original, headers);
            var properties = new BasicProperties
            {
                Persistent = true,
                ContentType = "application/json",
                MessageId = intents[i].OrderId.ToString(CultureInfo.InvariantCulture),
                Headers = headers,
            };
            messages[i] = (deadLetterReason is null ? RabbitMqTopology.Exchange : RabbitMqTopology.DeadLetterExchange, properties,
                JsonSerializer.SerializeToUtf8Bytes(intents[i], OrderMessageJsonContext.Default.OrderIntent));
        }
        return PublishConfirmedAsync(messages, intents.Count, cancellationToken);
    }

    private async Task PublishConfirmedAsync((string Exchange, BasicProperties Properties, byte[] Body)[] messages, int intents, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(connection.CallTimeout);
        var channel = await _channel.GetAsync(OpenChannelAsync, deadline.Token).ConfigureAwait(false);
        try
        {
            var confirms = new Task[messages.Length];
            for (var i = 0; i < messages.Length; i++)
            {
                var (exchange, properties, body) = messages[i];
                // Mandatory: a message the broker cannot route is returned as an error, never dropped.
                confirms[i] = channel.BasicPublishAsync(exchange, RabbitMqTopology.RoutingKey, mandatory: true, properties, body, deadline.Token).AsTask();
            }
            await Task.WhenAll(confirms).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // No confirm in time: the channel's state is unknown, so the next publish starts on a fresh one.
            // The caller has not acknowledged these intents and publishes them again (at least once).
            await DropChannelAsync(channel).ConfigureAwait(false);
            throw new TimeoutException($"The broker did not confirm {intents} intents within {connection.CallTimeout.TotalMilliseconds:F0} ms");
        }
    }

    private async Task DropChannelAsync(IChannel channel)
    {
        if (!_channel.Forget(channel)) return;
        try
        {
            await channel.DisposeAsync().AsTask().WaitAsync(connection.CallTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Best effort: the channel is already given up.
        }
    }

    private async Task<IChannel> OpenChannelAsync(IChannel? closed, CancellationToken cancellationToken)
    {
        var conn = await connection.GetAsync(cancellationToken).ConfigureAwait(false);
        return await conn.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Once (the relay's and the consumer's registrations share this instance).</summary>
    public ValueTask DisposeAsync() => Interlocked.Exchange(ref _disposed, 1) == 0 ? _channel.DisposeAsync() : ValueTask.CompletedTask;
}
