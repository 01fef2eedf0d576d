using FlashSale.Core.Reconciliation;

namespace FlashSale.RabbitMq;

/// <summary>Reconciliation's view of the order queue: ready messages and dead letters, by passive declares.</summary>
public sealed class RabbitMqQueueAudit(RabbitMqConnection connection) : IQueueAudit
{
    public async Task<QueueAuditSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var open = await connection.GetAsync(cancellationToken).ConfigureAwait(false);
        await using var channel = await open.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var orders = await channel.QueueDeclarePassiveAsync(RabbitMqTopology.Queue, cancellationToken).ConfigureAwait(false);
        var dead = await channel.QueueDeclarePassiveAsync(RabbitMqTopology.DeadLetterQueue, cancellationToken).ConfigureAwait(false);
        return new QueueAuditSnapshot(orders.MessageCount, dead.MessageCount);
    }
}
