using FlashSale.Core.Notifications;
using Npgsql;

namespace FlashSale.Postgres;

/// <summary>
/// The webhook outbox in PostgreSQL (<c>notification_outbox</c>, filled by triggers on <c>orders</c>, migration 0011).
/// A claim is one statement: <c>FOR UPDATE SKIP LOCKED</c> over the due rows and the lease in the same update, so
/// dispatchers in several workers never claim one row twice.
/// </summary>
public sealed class PostgresNotificationOutbox(NpgsqlDataSource dataSource) : INotificationOutbox
{
    private static string Sql(string name) => PostgresFlashSaleStore.Scripts.Get("Notifications/" + name);

    public async Task<IReadOnlyList<OutboxEvent>> ClaimAsync(int limit, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(Sql("claim_outbox.sql"));
        cmd.Parameters.AddWithValue("now", now.UtcDateTime);
        cmd.Parameters.AddWithValue("lease_until", leaseUntil.UtcDateTime);
        cmd.Parameters.AddWithValue("limit", limit);
        var events = new List<OutboxEvent>();
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(new OutboxEvent(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), new DateTimeOffset(reader.GetDateTime(6), TimeSpan.Zero), reader.GetInt32(7)));
            }
        }
        events.Sort(static (a, b) => a.EventId.CompareTo(b.EventId));
        return events;
    }

    public Task MarkDeliveredAsync(long eventId, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync("outbox_delivered.sql", cancellationToken, ("id", eventId), ("now", now.UtcDateTime));

    public Task MarkRetryAsync(long eventId, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken) =>
        ExecuteAsync("outbox_retry.sql", cancellationToken, ("id", eventId), ("next_attempt_at", nextAttemptAt.UtcDateTime), ("error", error));

    public Task MarkDeadAsync(long eventId, DateTimeOffset now, string error, CancellationToken cancellationToken) =>
        ExecuteAsync("outbox_dead.sql", cancellationToken, ("id", eventId), ("now", now.UtcDateTime), ("error", error));

    public Task<int> SkipAsync(int limit, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync("outbox_skip.sql", cancellationToken, ("limit", limit), ("now", now.UtcDateTime));

    public Task<int> TrimAsync(DateTimeOffset deliveredBefore, int limit, CancellationToken cancellationToken) =>
        ExecuteAsync("trim_outbox.sql", cancellationToken, ("delivered_before", deliveredBefore.UtcDateTime), ("limit", limit));

    private async Task<int> ExecuteAsync(string script, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var cmd = dataSource.CreateCommand(Sql(script));
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
