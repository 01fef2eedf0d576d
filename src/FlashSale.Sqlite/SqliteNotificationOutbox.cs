using FlashSale.Core.Notifications;
using Microsoft.Data.Sqlite;

namespace FlashSale.Sqlite;

/// <summary>
/// The webhook outbox in the embedded SQLite file (<c>notification_outbox</c>, filled by triggers on <c>orders</c>,
/// migration 0010). One process owns the file and every write goes through its single writer, so a claim is one
/// serialized UPDATE ... RETURNING.
/// </summary>
public sealed class SqliteNotificationOutbox(SqliteDatabase database) : INotificationOutbox
{
    private static string Sql(string name) => SqliteDatabase.Scripts.Get("Notifications/" + name);

    public Task<IReadOnlyList<OutboxEvent>> ClaimAsync(int limit, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        database.WriteAsync<IReadOnlyList<OutboxEvent>>((connection, tx) =>
        {
            using var cmd = Command(connection, tx, "claim_outbox.sql",
                ("@now_ms", now.ToUnixTimeMilliseconds()), ("@lease_until_ms", leaseUntil.ToUnixTimeMilliseconds()), ("@limit", limit));
            var events = new List<OutboxEvent>();
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                events.Add(new OutboxEvent(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(6)), reader.GetInt32(7)));
            }
            events.Sort(static (a, b) => a.EventId.CompareTo(b.EventId));
            return events;
        }, cancellationToken);

    public Task MarkDeliveredAsync(long eventId, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync("outbox_delivered.sql", cancellationToken, ("@id", eventId), ("@now_ms", now.ToUnixTimeMilliseconds()));

    public Task MarkRetryAsync(long eventId, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken) =>
        ExecuteAsync("outbox_retry.sql", cancellationToken, ("@id", eventId), ("@next_attempt_at_ms", nextAttemptAt.ToUnixTimeMilliseconds()), ("@error", error));

    public Task MarkDeadAsync(long eventId, DateTimeOffset now, string error, CancellationToken cancellationToken) =>
        ExecuteAsync("outbox_dead.sql", cancellationToken, ("@id", eventId), ("@now_ms", now.ToUnixTimeMilliseconds()), ("@error", error));

    public Task<int> SkipAsync(int limit, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync("outbox_skip.sql", cancellationToken, ("@limit", limit), ("@now_ms", now.ToUnixTimeMilliseconds()));

    public Task<int> TrimAsync(DateTimeOffset deliveredBefore, int limit, CancellationToken cancellationToken) =>
        ExecuteAsync("trim_outbox.sql", cancellationToken, ("@delivered_before_ms", deliveredBefore.ToUnixTimeMilliseconds()), ("@limit", limit));

    private Task<int> ExecuteAsync(string script, CancellationToken cancellationToken, params (string Name, object Value)[] parameters) =>
        database.WriteAsync((connection, tx) =>
        {
            using var cmd = Command(connection, tx, script, parameters);
            return cmd.ExecuteNonQuery();
        }, cancellationToken);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction tx, string script, params (string Name, object Value)[] parameters)
    {
        var cmd = new SqliteCommand(Sql(script), connection, tx);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return cmd;
    }
}
