using System.Collections.Concurrent;

namespace FlashSale.Core.Notifications;

/// <summary>
/// The notifier of one process (embedded mode, and the local fan-out of the distributed one): every subscriber of an
/// order id hears each change published here. Subscriptions are cheap and removed when disposed.
/// </summary>
public sealed class InProcessOrderNotifier : IOrderNotifier
{
    private readonly ConcurrentDictionary<long, ImmutableSubscribers> _byOrder = new();

    public ValueTask PublishAsync(OrderChanged change, CancellationToken cancellationToken)
    {
        Deliver(change);
        return ValueTask.CompletedTask;
    }

    public ValueTask PublishBatchAsync(IReadOnlyList<OrderChanged> changes, CancellationToken cancellationToken)
    {
        for (var i = 0; i < changes.Count; i++) Deliver(changes[i]);
        return ValueTask.CompletedTask;
    }

    /// <summary>Whether anyone in this process listens to <paramref name="orderId"/>: a change of an order nobody follows need not be read.</summary>
    public bool HasSubscribers(long orderId) => _byOrder.ContainsKey(orderId);

    /// <summary>Hands <paramref name="change"/> to this process's subscribers of its order.</summary>
    public void Deliver(OrderChanged change)
    {
        if (!_byOrder.TryGetValue(change.OrderId, out var subscribers)) return;
        foreach (var subscriber in subscribers.Items) subscriber(change);
    }

    /// <summary>Calls <paramref name="onChange"/> for every change of <paramref name="orderId"/> until the result is disposed.
    /// The callback runs on the publisher's thread: keep it short (write to a channel).</summary>
    public IDisposable Subscribe(long orderId, Action<OrderChanged> onChange)
    {
        _byOrder.AddOrUpdate(orderId, static (_, a) => new ImmutableSubscribers([a]), static (_, s, a) => new ImmutableSubscribers([.. s.Items, a]), onChange);
        return new Subscription(this, orderId, onChange);
    }

    private void Unsubscribe(long orderId, Action<OrderChanged> onChange)
    {
        while (_byOrder.TryGetValue(orderId, out var current))
        {
            var rest = current.Items.Where(s => s != onChange).ToArray();
            if (rest.Length == 0 ? _byOrder.TryRemove(new KeyValuePair<long, ImmutableSubscribers>(orderId, current))
                                 : _byOrder.TryUpdate(orderId, new ImmutableSubscribers(rest), current)) return;
        }
    }

    private sealed record ImmutableSubscribers(Action<OrderChanged>[] Items);

    private sealed class Subscription(InProcessOrderNotifier owner, long orderId, Action<OrderChanged> onChange) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) owner.Unsubscribe(orderId, onChange);
        }
    }
}
