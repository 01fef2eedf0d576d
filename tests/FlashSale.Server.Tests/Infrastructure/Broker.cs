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
}
