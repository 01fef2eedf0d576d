namespace FlashSale.Core.Notifications;

/// <summary>
/// The merchant webhook's outbox: one row per order status (or refund status) change, written by the database itself
/// (a trigger on <c>orders</c>) in the transaction that made the change, so no change can be committed without its row.
/// Rows are claimed in batches by <see cref="MerchantWebhookDispatcher"/>s; a claim leases them (their next attempt moves
/// to the lease's end), so several workers never hold one row at once and a crashed worker's rows come back later.
/// </summary>
public interface INotificationOutbox
{
    /// <summary>Up to <paramref name="limit"/> rows due at <paramref name="now"/> (not delivered, not dead), each with its
    /// attempts counted up by one and leased until <paramref name="leaseUntil"/>; by id.</summary>
    Task<IReadOnlyList<OutboxEvent>> ClaimAsync(int limit, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>The event reached the merchant (2xx): never sent again.</summary>
    Task MarkDeliveredAsync(long eventId, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The attempt failed: try again at <paramref name="nextAttemptAt"/>.</summary>
    Task MarkRetryAsync(long eventId, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken);

    /// <summary>Out of attempts: the row stays, marked dead, and is never claimed again.</summary>
    Task MarkDeadAsync(long eventId, DateTimeOffset now, string error, CancellationToken cancellationToken);

    /// <summary>With no webhook configured: marks up to <paramref name="limit"/> waiting rows as delivered (skipped); returns how many.</summary>
    Task<int> SkipAsync(int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="limit"/> rows delivered before <paramref name="deliveredBefore"/>; returns how many.</summary>
    Task<int> TrimAsync(DateTimeOffset deliveredBefore, int limit, CancellationToken cancellationToken);
}

/// <summary>One outbox row: order <paramref name="OrderId"/> reached <paramref name="Status"/> (and <paramref name="RefundStatus"/>)
/// at <paramref name="OccurredAt"/>; <paramref name="Attempts"/> counts this claim.</summary>
public sealed record OutboxEvent(long EventId, long OrderId, long SaleId, string UserId, string Status, string? RefundStatus, DateTimeOffset OccurredAt, int Attempts);
