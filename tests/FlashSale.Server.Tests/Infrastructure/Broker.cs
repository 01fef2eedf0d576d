using FlashSale.RabbitMq;
using RabbitMQ.Client;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>Direct looks at RabbitMQ.</summary>
public static class Broker
{
    public static async Task<uint> DeadLetterCountAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestServices.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var ok = await channel.QueueDeclarePassiveAsync(RabbitMqTopology.DeadLetterQueue);
        return ok.MessageCount;
    }

    /// <summary>Empties the dead-letter queue (shared by every test on the broker); returns how many messages it held.</summary>
    public static async Task<uint> PurgeDeadLettersAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestServices.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        return await channel.QueuePurgeAsync(RabbitMqTopology.DeadLetterQueue);
    }

    /// <summary>The bodies of the messages in the dead-letter queue, left there (read unacked, returned when the channel closes).</summary>
    public static async Task<List<string>> PeekDeadLettersAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestServices.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var bodies = new List<string>();
        while (await channel.BasicGetAsync(RabbitMqTopology.DeadLetterQueue, autoAck: false) is { } message) bodies.Add(System.Text.Encoding.UTF8.GetString(message.Body.Span));
        return bodies;
    }

    /// <summary>Publishes <paramref name="body"/> to the order queue as the relay would (persistent, mandatory, confirmed).</summary>
    public static async Task PublishOrderMessageAsync(byte[] body)
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestServices.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.BasicPublishAsync(RabbitMqTopology.Exchange, RabbitMqTopology.RoutingKey, mandatory: true,
            new BasicProperties { Persistent = true, ContentType = "application/json" }, body);
    }
}
