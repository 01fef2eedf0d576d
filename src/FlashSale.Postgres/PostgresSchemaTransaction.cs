using FlashSale.Core.Storage;
using Npgsql;

namespace FlashSale.Postgres;

/// <summary>PostgreSQL's side of <see cref="SchemaMigrations"/>: one transaction holding an advisory lock (schema_lock.sql).</summary>
internal sealed class PostgresSchemaTransaction : ISchemaTransaction, IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _tx;

    private PostgresSchemaTransaction(NpgsqlConnection connection, NpgsqlTransaction tx) => (_connection, _tx) = (connection, tx);

    public static async Task<PostgresSchemaTransaction> BeginAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var schema = new PostgresSchemaTransaction(connection, await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false));
            await schema.ExecuteAsync(PostgresFlashSaleStore.Scripts.Get("schema_lock.sql"), cancellationToken).ConfigureAwait(false);
            return schema;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, _connection, _tx);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlySet<int>> AppliedVersionsAsync(CancellationToken cancellationToken)
    {
        var applied = new HashSet<int>();
        await using var cmd = new NpgsqlCommand(PostgresFlashSaleStore.Scripts.Get("schema_version_applied.sql"), _connection, _tx);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) applied.Add(reader.GetInt32(0));
        return applied;
    }

    public async Task RecordAsync(int version, string name, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(PostgresFlashSaleStore.Scripts.Get("schema_version_record.sql"), _connection, _tx);
        cmd.Parameters.AddWithValue("version", version);
        cmd.Parameters.AddWithValue("name", name);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public Task CommitAsync(CancellationToken cancellationToken) => _tx.CommitAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _tx.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}
