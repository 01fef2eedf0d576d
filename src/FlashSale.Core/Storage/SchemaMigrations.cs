using Microsoft.Extensions.Logging;

namespace FlashSale.Core.Storage;

/// <summary>
/// A database's side of <see cref="SchemaMigrations"/>: one open transaction, holding whatever keeps a second process
/// from migrating at the same time, and the statements of its version table.
/// </summary>
public interface ISchemaTransaction
{
    /// <summary>Runs a script (the version table's definition, a migration) in the transaction.</summary>
    Task ExecuteAsync(string sql, CancellationToken cancellationToken);

    /// <summary>The versions the version table records as applied.</summary>
    Task<IReadOnlySet<int>> AppliedVersionsAsync(CancellationToken cancellationToken);

    /// <summary>Records <paramref name="version"/> as applied, in the transaction.</summary>
    Task RecordAsync(int version, string name, CancellationToken cancellationToken);

    Task CommitAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The one rule for a database's schema: the version table (the adapter's <see cref="VersionTable"/>) is made when
/// missing; every <c>Migrations/NNNN_name.sql</c> it does not record is applied in NNNN order and recorded there as it
/// is applied; all in one transaction, committed at the end, so a migration that fails leaves the schema as it was.
/// Two migrations with one number stop it before anything runs.
/// </summary>
public static class SchemaMigrations
{
    /// <summary>The script that makes the version table when it is missing.</summary>
    public const string VersionTable = "schema_version.sql";

    /// <summary>Applies and records what the version table does not hold yet, then commits; returns the names applied.</summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(SqlScripts scripts, ISchemaTransaction transaction, ILogger? logger, CancellationToken cancellationToken)
    {
        var migrations = scripts.Migrations().ToList();
        if (migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1) is { } shared)
        {
            throw new InvalidOperationException($"Migrations {string.Join(" and ", shared.Select(m => m.Name))} share version {shared.Key}");
        }
        await transaction.ExecuteAsync(scripts.Get(VersionTable), cancellationToken).ConfigureAwait(false);
        var applied = await transaction.AppliedVersionsAsync(cancellationToken).ConfigureAwait(false);
        var names = new List<string>();
        foreach (var (version, name, sql) in migrations)
        {
            if (applied.Contains(version)) continue;
            logger?.LogInformation("Applying migration {Name}", name);
            await transaction.ExecuteAsync(sql, cancellationToken).ConfigureAwait(false);
            await transaction.RecordAsync(version, name, cancellationToken).ConfigureAwait(false);
            names.Add(name);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return names;
    }
}
