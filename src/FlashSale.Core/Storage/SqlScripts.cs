using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;

namespace FlashSale.Core.Storage;

/// <summary>
/// SQL kept in .sql files compiled in as embedded resources (never in C# strings), read once each.
/// Migrations are the resources named <c>Migrations/NNNN_name.sql</c>, applied in NNNN order by <see cref="SchemaMigrations"/>.
/// </summary>
public sealed class SqlScripts(Assembly assembly, string prefix)
{
    private const string MigrationsFolder = "Migrations/";
    private readonly ConcurrentDictionary<string, string> _cache = new();

    /// <summary>An adapter's SQL files: its Sql/**/*.sql, embedded as <c>{assembly name}.Sql.{path}</c>.</summary>
    public static SqlScripts EmbeddedIn(Assembly assembly) => new(assembly, assembly.GetName().Name + ".Sql.");

    public string Get(string name) => _cache.GetOrAdd(name, n =>
    {
        using var stream = assembly.GetManifestResourceStream(prefix + n)
            ?? throw new InvalidOperationException($"SQL resource {prefix}{n} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public IEnumerable<(int Version, string Name, string Sql)> Migrations() =>
        assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix + MigrationsFolder, StringComparison.Ordinal))
            .Select(n => n[prefix.Length..])
            .Select(n => (Version: int.Parse(n.AsSpan(MigrationsFolder.Length, 4), CultureInfo.InvariantCulture), Resource: n))
            .OrderBy(m => m.Version)
            .Select(m => (m.Version, m.Resource[MigrationsFolder.Length..], Get(m.Resource)));
}
