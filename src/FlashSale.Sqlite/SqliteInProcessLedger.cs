using FlashSale.Core.Embedded;
using FlashSale.Core.Orders;
using Microsoft.Data.Sqlite;

namespace FlashSale.Sqlite;

/// <summary>The in-process gate's ledger: the intents table of the same SQLite file, synced on commit.</summary>
public sealed class SqliteInProcessLedger(SqliteDatabase database) : IInProcessLedger
{
    public Task AppendAsync(IReadOnlyList<OrderIntent> intents, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, tx) =>
        {
            using var cmd = SqliteFlashSaleStore.Command(connection, tx, "append_intent.sql");
            var bind = IntentParameters.AddTo(cmd);
            foreach (var intent in intents)
            {
                bind.Set(intent);
                cmd.ExecuteNonQuery();
            }
            return intents.Count;
        }, cancellationToken);

    public Task<bool> MarkReturnedAsync(long orderId, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, tx) =>
        {
            using var cmd = SqliteFlashSaleStore.Command(connection, tx, "mark_returned.sql");
            cmd.Parameters.AddWithValue("@order_id", orderId);
            return cmd.ExecuteNonQuery() == 1;
        }, cancellationToken);

    public Task<IReadOnlyList<LedgerRecord>> LoadSaleAsync(long saleId, CancellationToken cancellationToken) =>
        Task.FromResult(Read("sale_intents.sql", cmd => cmd.Parameters.AddWithValue("@sale_id", saleId)));

    public Task<IReadOnlyList<OrderIntent>> LoadUnwrittenAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<OrderIntent>>(Read("unwritten_intents.sql", _ => { }).Select(j => j.Intent).ToArray());

    private IReadOnlyList<LedgerRecord> Read(string sqlFile, Action<SqliteCommand> bind)
    {
        using var connection = database.Connect();
        using var cmd = SqliteFlashSaleStore.Command(connection, null, sqlFile);
        bind(cmd);
        var intents = new List<LedgerRecord>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            intents.Add(new LedgerRecord(new OrderIntent(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetInt32(3), r.GetString(4), r.GetInt64(5)), r.GetInt64(6) != 0));
        }
        return intents;
    }
}
