using RabbitMQ.Client;

namespace FlashSale.RabbitMq;

/// <summary>
/// The order queue: a durable quorum queue behind a direct exchange, dead-lettering into a durable
/// queue that keeps refused messages for an operator to read.
/// </summary>
public static class RabbitMqTopology
{
    /// <summary>The exchange and its queue share one name; the dead-letter pair is named after it.</summary>
    public const string Exchange = "flashsale.orders", Queue = Exchange;
    public const string DeadLetterExchange = Exchange + ".dlx", DeadLetterQueue = Queue + ".dead";
    public const string RoutingKey = "order.intent";

    public static async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(DeadLetterExchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(DeadLetterQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueBindAsync(DeadLetterQueue, DeadLetterExchange, "", cancellationToken: cancellationToken).ConfigureAwait(false);

        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueDeclareAsync(Queue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-dead-letter-exchange"] = DeadLetterExchange,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        await channel.QueueBindAsync(Queue, Exchange, RoutingKey, cancellationToken: cancellationToken).ConfigureAwait(false);
    }
}
