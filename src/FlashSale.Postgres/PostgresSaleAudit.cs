using System.Data;
using System.Text.Json;
using FlashSale.Core.Reconciliation;
using FlashSale.Core.Sales;
using Npgsql;

namespace FlashSale.Postgres;

/// <summary>Reconciliation's view of PostgreSQL (one repeatable-read snapshot per sale) and its report table.</summary>
public sealed class PostgresSaleAudit(NpgsqlDataSource dataSource) : IStoreAudit, IReconciliationReports
{
    public async Task<StoreAuditSnapshot?> ReadAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        // One snapshot: a writer's batch (orders, stock, user totals) is seen whole or not at all.
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        int stock;
        long available;
        long endsAtMs;
        await using (var cmd = Command(connection, tx, "Reconciliation/sale.sql", saleId))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
            stock = reader.GetInt32(0);
            available = reader.GetInt32(1);
            endsAtMs = reader.GetInt64(2);
        }
        List<StoredOrder> orders;
        await using (var cmd = Command(connection, tx, "sale_orders.sql", saleId))
        {
            orders = await PostgresFlashSaleStore.ReadSaleOrdersAsync(cmd, cancellationToken).ConfigureAwait(false);
        }
        var users = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var cmd = Command(connection, tx, "Reconciliation/user_totals.sql", saleId))
        await using (var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) users[reader.GetString(0)] = reader.GetInt32(1);
        }
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new StoreAuditSnapshot(stock, available, orders, users, endsAtMs);
    }

    public async Task<IReadOnlyList<long>> SalesEndingAfterAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(PostgresFlashSaleStore.Scripts.Get("Reconciliation/sales_ending_after.sql"));
        cmd.Parameters.AddWithValue("since", since.UtcDateTime);
        var ids = new List<long>();
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) ids.Add(reader.GetInt64(0));
        return ids;
    }

    public async Task SaveAsync(ReconciliationReport report, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(PostgresFlashSaleStore.Scripts.Get("Reconciliation/save_report.sql"));
        cmd.Parameters.AddWithValue("sale_id", long.Parse(report.SaleId, System.Globalization.CultureInfo.InvariantCulture));
        cmd.Parameters.AddWithValue("status", report.Status);
        cmd.Parameters.AddWithValue("report", JsonSerializer.Serialize(report, ReconciliationJsonContext.Default.ReconciliationReport));
        cmd.Parameters.AddWithValue("created_at", report.At.UtcDateTime);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<ReconciliationReport?> FindAsync(long saleId, CancellationToken cancellationToken)
    {
        await using var cmd = dataSource.CreateCommand(PostgresFlashSaleStore.Scripts.Get("Reconciliation/find_report.sql"));
        cmd.Parameters.AddWithValue("sale_id", saleId);
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string json
            ? JsonSerializer.Deserialize(json, ReconciliationJsonContext.Default.ReconciliationReport)
            : null;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction tx, string sqlFile, long saleId)
    {
        var cmd = new NpgsqlCommand(PostgresFlashSaleStore.Scripts.Get(sqlFile), connection, tx);
        cmd.Parameters.AddWithValue("sale_id", saleId);
        return cmd;
    }
}
