using System.Diagnostics;
using System.Threading.Channels;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;

namespace FlashSale.Core.Embedded;

/// <summary>
/// The order queue of embedded mode: a channel in memory. It need not be durable: every intent on it is
/// already in the ledger, and whatever a crash drops from it is queued again from there on start-up.
/// </summary>
public sealed class InProcessOrderQueue : IOrderQueuePublisher
{
    private readonly Channel<DeliveredIntent> _channel = Channel.CreateUnbounded<DeliveredIntent>(new UnboundedChannelOptions { SingleReader = true });

    public ChannelReader<DeliveredIntent> Reader => _channel.Reader;

    /// <summary>Queues the intents with the trace context they are published in (the gate's batch span while traced; none otherwise).</summary>
    public Task PublishAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken)
    {
        var publisher = Activity.Current?.Context ?? default;
        foreach (var intent in intents) _channel.Writer.TryWrite(new DeliveredIntent(intent, 0, publisher));
        return Task.CompletedTask;
    }

    public void Redeliver(DeliveredIntent delivered) =>
        _channel.Writer.TryWrite(delivered with { PreviousDeliveries = delivered.PreviousDeliveries + 1 });
}
