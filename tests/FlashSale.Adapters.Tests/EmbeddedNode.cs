using FlashSale.Core.Embedded;
using FlashSale.Sqlite;

namespace FlashSale.Adapters.Tests;

/// <summary>A folder of its own for a test's SQLite files, deleted with them.</summary>
internal sealed class TempFolder(string name) : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory($"flashsale-{name}-").FullName;

    public string File(string fileName) => System.IO.Path.Combine(Path, fileName);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Embedded mode's store, ledger and gate over one SQLite file, as one process holds them.</summary>
internal sealed class EmbeddedNode : IDisposable
{
    /// <param name="ledger">Wraps the SQLite ledger (a slow disk, say); the gate gets what it returns.</param>
    public EmbeddedNode(string path, TimeProvider? time = null, Func<IInProcessLedger, IInProcessLedger>? ledger = null)
    {
        time ??= TimeProvider.System;
        Database = new SqliteDatabase(path);
        Database.Open();
        Store = new SqliteFlashSaleStore(Database, time);
        var sqlite = new SqliteInProcessLedger(Database);
        Ledger = ledger is null ? sqlite : ledger(sqlite);
        Gate = new InProcessStockGate(Store, Ledger, new InProcessOrderQueue(), time);
    }

    private TempFolder? _folder;

    /// <summary>A node over a file in a new temporary folder, which goes when the node is disposed.</summary>
    public static EmbeddedNode InNewFolder(string name, TimeProvider? time = null, Func<IInProcessLedger, IInProcessLedger>? ledger = null)
    {
        var folder = new TempFolder(name);
        return new EmbeddedNode(folder.File("flashsale.db"), time, ledger) { _folder = folder };
    }

    public SqliteDatabase Database { get; }
    public SqliteFlashSaleStore Store { get; }
    public IInProcessLedger Ledger { get; }
    public InProcessStockGate Gate { get; }

    public void Dispose()
    {
        Gate.Dispose();
        Database.Dispose();
        _folder?.Dispose();
    }
}
