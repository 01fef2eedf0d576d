using System.Globalization;
using FlashSale.Core.Storage;
using Microsoft.Data.Sqlite;

namespace FlashSale.Sqlite;

/// <summary>
/// One SQLite file, owned by one process: an exclusive lock file keeps a second instance out, WAL lets
/// readers run beside the single writer, and every write goes through one connection in synchronous=FULL
/// mode, so a committed transaction is on disk.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    internal const int ConstraintError = 19;

    /// <summary>This adapter's SQL files.</summary>
    internal static readonly SqlScripts Scripts = SqlScripts.EmbeddedIn(typeof(SqliteDatabase).Assembly);

    private readonly string _path;
    private readonly long? _maxBytes;
    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeTurn = new(1, 1);
    private FileStream? _lockFile;
    private SqliteConnection? _writer;

    public SqliteDatabase(string path, long? maxBytes = null)
    {
        _path = Path.GetFullPath(path);
        _maxBytes = maxBytes;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 10,
        }.ToString();
    }

    public string FilePath => _path;

    /// <summary>Takes the file for this process, checks it and applies migrations. Throws <see cref="SqliteStartupException"/>.</summary>
    public void Open()
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new SqliteStartupException($"Cannot create the folder of {_path}: {ex.Message}. Set FlashSale:Embedded:DatabasePath to a writable place.", ex);
        }
        try
        {
            _lockFile = new FileStream(_path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new SqliteStartupException($"Another FlashSale process is using {_path} (its lock file {_path}.lock is held). Stop it, or point FlashSale:Embedded:DatabasePath elsewhere.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new SqliteStartupException($"Cannot write beside {_path}: {ex.Message}. Check the folder's permissions or set FlashSale:Embedded:DatabasePath.", ex);
        }

        try
        {
            using var connection = Connect();
            Execute(connection, "PRAGMA journal_mode=WAL;");
            var check = Scalar(connection, "PRAGMA quick_check;")?.ToString();
            if (check != "ok") throw new SqliteStartupException($"The database {_path} is damaged (quick_check: {check}). Restore it from a backup or move it away.");
            Migrate(connection);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 or 11) // SQLITE_NOTADB, SQLITE_CORRUPT
        {
            throw new SqliteStartupException($"The database {_path} is not a readable FlashSale database ({ex.Message}). Restore it from a backup or move it away.", ex);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 8 or 14 or 10) // SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_IOERR
        {
            throw new SqliteStartupException($"The database {_path} cannot be written ({ex.Message}). Check the file's and folder's permissions and free space.", ex);
        }
    }

    /// <summary>A pooled connection for reads.</summary>
    public SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    /// <summary>Runs <paramref name="work"/> in one IMMEDIATE transaction on the writer connection; commits on return.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> work, CancellationToken cancellationToken)
    {
        await _writeTurn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            SqliteConnection connection;
            try
            {
                connection = _writer ??= OpenWriter();
            }
            catch (SqliteException ex)
            {
                throw new StoreUnavailableException($"SQLite cannot be opened for writing: {ex.Message}", ex);
            }
            try
            {
                using var tx = connection.BeginTransaction(deferred: false);
                var result = work(connection, tx);
                tx.Commit();
                return result;
            }
            catch (SqliteException ex) when (ex.SqliteErrorCode != ConstraintError)
            {
                // After an I/O error the connection's state is not to be trusted: the next write opens a new one.
                _writer = null;
                connection.Dispose();
                throw new StoreUnavailableException($"SQLite write failed: {ex.Message}", ex);
            }
        }
        finally
        {
            _writeTurn.Release();
        }
    }

    private SqliteConnection OpenWriter()
    {
        var connection = Connect();
        Execute(connection, "PRAGMA synchronous=FULL;");
        // Every write goes through this connection: 32 MiB of page cache keeps the orders' and the ledger's index pages
        // in memory (SQLite's default, 2 MiB, made a busy sale's writes read pages back with a pread each).
        Execute(connection, "PRAGMA cache_size=-32768;");
        if (_maxBytes is { } max)
        {
            var pageSize = Convert.ToInt64(Scalar(connection, "PRAGMA page_size;"), CultureInfo.InvariantCulture);
            Execute(connection, $"PRAGMA max_page_count={Math.Max(1, max / pageSize)};");
        }
        return connection;
    }

    /// <summary>Applies the migrations this file lacks (<see cref="SchemaMigrations"/>), in one IMMEDIATE transaction.</summary>
    private static void Migrate(SqliteConnection connection)
    {
        using var tx = connection.BeginTransaction(deferred: false);
        // Every step of a SQLite schema transaction runs synchronously: the task is complete when it returns.
        SchemaMigrations.ApplyAsync(Scripts, new SqliteSchemaTransaction(connection, tx), null, CancellationToken.None).GetAwaiter().GetResult();
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = new SqliteCommand(sql, connection);
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using var cmd = new SqliteCommand(sql, connection);
        return cmd.ExecuteScalar();
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _lockFile?.Dispose();
        _writeTurn.Dispose();
        SqliteConnection.ClearAllPools();
    }
}

/// <summary>SQLite's side of <see cref="SchemaMigrations"/>: one IMMEDIATE transaction on a file only this process opens.</summary>
internal sealed class SqliteSchemaTransaction(SqliteConnection connection, SqliteTransaction tx) : ISchemaTransaction
{
    public Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        using var cmd = new SqliteCommand(sql, connection, tx);
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task<IReadOnlySet<int>> AppliedVersionsAsync(CancellationToken cancellationToken)
    {
        var applied = new HashSet<int>();
        using var cmd = new SqliteCommand(SqliteDatabase.Scripts.Get("schema_version_applied.sql"), connection, tx);
        using var reader = cmd.ExecuteReader();
        while (reader.Read()) applied.Add(reader.GetInt32(0));
        return Task.FromResult<IReadOnlySet<int>>(applied);
    }

    public Task RecordAsync(int version, string name, CancellationToken cancellationToken)
    {
        using var cmd = new SqliteCommand(SqliteDatabase.Scripts.Get("schema_version_record.sql"), connection, tx);
        cmd.Parameters.AddWithValue("@version", version);
        cmd.Parameters.AddWithValue("@name", name);
        cmd.Parameters.AddWithValue("@now_ms", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        cmd.ExecuteNonQuery();
        return Task.CompletedTask;
    }

    public Task CommitAsync(CancellationToken cancellationToken)
    {
        tx.Commit();
        return Task.CompletedTask;
    }
}

/// <summary>The database cannot be used; the message says why and what to do.</summary>
public sealed class SqliteStartupException(string message, Exception? inner = null) : Exception(message, inner);
