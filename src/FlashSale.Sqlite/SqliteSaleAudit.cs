using System.Text.Json;
using FlashSale.Core.Reconciliation;
using FlashSale.Core.Sales;
using Microsoft.Data.Sqlite;

namespace FlashSale.Sqlite;

/// <summary>Reconciliation's view of the SQLite store (one read transaction: one WAL snapshot) and its report table.</summary>
public sealed class SqliteSaleAudit(SqliteDatabase database) : IStoreAudit, IReconciliationReports
{
    public Task<StoreAuditSnapshot?> ReadAsync(long saleId, CancellationToken cancellationToken)
    {
        using var connection = database.Connect();
        using var tx = connection.BeginTransaction(deferred: true);
        int stock;
        long available;
        long endsAtMs;
        using (var cmd = Command(connection, tx, "Reconciliation/sale.sql", saleId))
        using (var reader = cmd.ExecuteReader())
        {
            if (!reader.Read()) return Task.FromResult<StoreAuditSnapshot?>(null);
            stock = reader.GetInt32(0);
            available = reader.GetInt64(1);
            endsAtMs = reader.GetInt64(2);
        }
        List<StoredOrder> orders;
        using (var cmd = Command(connection, tx, "sale_orders.sql", saleId))
        {
            orders = SqliteFlashSaleStore.ReadSaleOrders(cmd);
        }
        var users = new Dictionary<string, long>(StringComparer.Ordinal);
        using (var cmd = Command(connection, tx, "Reconciliation/user_totals.sql", saleId))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read()) users[reader.GetString(0)] = reader.GetInt64(1);
        }
        tx.Commit();
        return Task.FromResult<StoreAuditSnapshot?>(new StoreAuditSnapshot(stock, available, orders, users, endsAtMs));
    }

    public Task<IReadOnlyList<long>> SalesEndingAfterAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        using var connection = database.Connect();
        using var cmd = SqliteFlashSaleStore.Command(connection, null, "Reconciliation/sales_ending_after.sql");
        cmd.Parameters.AddWithValue("@since_ms", since.ToUnixTimeMilliseconds());
        var ids = new List<long>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) ids.Add(reader.GetInt64(0));
        return Task.FromResult<IReadOnlyList<long>>(ids);
    }

    public Task SaveAsync(ReconciliationReport report, CancellationToken cancellationToken) =>
        database.WriteAsync((connection, tx) =>
        {
            using var cmd = SqliteFlashSaleStore.Command(connection, tx, "Reconciliation/save_report.sql");
            cmd.Parameters.AddWithValue("@sale_id", long.Parse(report.SaleId, System.Globalization.CultureInfo.InvariantCulture));
            cmd.Parameters.AddWithValue("@status", report.Status);
            cmd.Parameters.AddWithValue("@report", JsonSerializer.Serialize(report, ReconciliationJsonContext.Default.ReconciliationReport));
            cmd.Parameters.AddWithValue("@created_at_ms", report.At.ToUnixTimeMilliseconds());
            return cmd.ExecuteNonQuery();
        }, cancellationToken);

    public Task<ReconciliationReport?> FindAsync(long saleId, CancellationToken cancellationToken)
    {
        using var connection = database.Connect();
        using var cmd = Command(connection, null, "Reconciliation/find_report.sql", saleId);
        return Task.FromResult(cmd.ExecuteScalar() is string json
            ? JsonSerializer.Deserialize(json, ReconciliationJsonContext.Default.ReconciliationReport)
            : null);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sqlFile, long saleId)
    {
        var cmd = SqliteFlashSaleStore.Command(connection, tx, sqlFile);
        cmd.Parameters.AddWithValue("@sale_id", saleId);
        return cmd;
    }
}
