using FlashSale.Core.Orders;

namespace FlashSale.Core.Notifications;

/// <summary>
/// A live signal that an order's status changed: whoever moved the order (the order writer, a payment, a cancellation)
/// says so after the change is committed. Best effort and cheap: a lost signal only delays a live view (the order
/// events stream re-reads the store), never a merchant webhook (those come from the database's outbox).
/// Embedded: in-process. Distributed: across processes (Redis pub/sub).
/// </summary>
public interface IOrderNotifier
{
    /// <summary>Tells every listener of <paramref name="change"/>'s order; never throws (a failure is logged and dropped).</summary>
    ValueTask PublishAsync(OrderChanged change, CancellationToken cancellationToken);

    /// <summary>
    /// Tells of many changes at once (the order writer's batch): one message for all where the notifier crosses processes.
    /// Never throws. By default, each change on its own.
    /// </summary>
    async ValueTask PublishBatchAsync(IReadOnlyList<OrderChanged> changes, CancellationToken cancellationToken)
    {
        for (var i = 0; i < changes.Count; i++) await PublishAsync(changes[i], cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>Order <paramref name="OrderId"/> of <paramref name="UserId"/> now has <paramref name="Status"/>.</summary>
public sealed record OrderChanged(long OrderId, long SaleId, string UserId, string Status)
{
    /// <summary>The order of <paramref name="intent"/> now has <paramref name="status"/>.</summary>
    public static OrderChanged Of(OrderIntent intent, string status) => new(intent.OrderId, intent.SaleId, intent.UserId, status);

    /// <summary><paramref name="order"/> as the store holds it now.</summary>
    public static OrderChanged Of(Order order) => new(order.OrderId, order.SaleId, order.UserId, order.Status);
}
