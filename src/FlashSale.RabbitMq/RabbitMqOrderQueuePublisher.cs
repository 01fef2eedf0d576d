using System.Globalization;
using System.Text.Json;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using RabbitMQ.Client;

namespace FlashSale.RabbitMq;

/// <summary>Publishes persistent intents with publisher confirms; returns only once the broker confirmed all. Each message
/// carries the trace context current at publish in its headers (<see cref="MessageTraceContext"/>).</summary>
public sealed class RabbitMqOrderQueuePublisher(RabbitMqConnection connection) : IOrderQueuePublisher, IAsyncDisposable
{
    private readonly Reopening<IChannel> _channel = new(c => c.IsOpen);

    public async Task PublishAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(connection.CallTimeout);
        var channel = await _channel.GetAsync(OpenChannelAsync, deadline.Token).ConfigureAwait(false);
        var confirms = new Task[intents.Count];
        for (var i = 0; i < intents.Count; i++)
        {
            var intent = intents[i];
            var body = JsonSerializer.SerializeToUtf8Bytes(intent, OrderMessageJsonContext.Default.OrderIntent);
            var properties = new BasicProperties
            {
                Persistent = true,
                ContentType = "application/json",
                MessageId = intent.OrderId.ToString(CultureInfo.InvariantCulture),
                // The relay's span, when traced: the writer's span links to it. One dictionary per message (the client adds to it).
                Headers = MessageTraceContext.Inject(),
            };
            // Mandatory: an intent the broker cannot route is returned as an error, never dropped.
            confirms[i] = channel.BasicPublishAsync(RabbitMqTopology.Exchange, RabbitMqTopology.RoutingKey, mandatory: true, properties, body, deadline.Token).AsTask();
        }
        try
        {
            await Task.WhenAll(confirms).WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // No confirm in time: the channel's state is unknown, so the next publish starts on a fresh one.
            // The caller has not acknowledged these intents and publishes them again (at least once).
            await DropChannelAsync(channel).ConfigureAwait(false);
            throw new TimeoutException($"The broker did not confirm {intents.Count} intents within {connection.CallTimeout.TotalMilliseconds:F0} ms");
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

    public ValueTask DisposeAsync() => _channel.DisposeAsync();
}
