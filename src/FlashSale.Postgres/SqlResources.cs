using System.Collections.Concurrent;

namespace FlashSale.Postgres;

/// <summary>SQL lives in .sql files compiled in as embedded resources; this reads them once.</summary>
internal static class SqlResources
{
    private static readonly ConcurrentDictionary<string, string> Cache = new();
    private const string Prefix = "FlashSale.Postgres.Sql.";

    public static string Get(string name) => Cache.GetOrAdd(name, static n =>
    {
        using var stream = typeof(SqlResources).Assembly.GetManifestResourceStream(Prefix + n)
            ?? throw new InvalidOperationException($"SQL resource {n} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    /// <summary>Migrations in version order: resources named Migrations/NNNN_name.sql.</summary>
    public static IEnumerable<(int Version, string Name, string Sql)> Migrations() =>
        typeof(SqlResources).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix + "Migrations", StringComparison.Ordinal))
            .Select(n => n[Prefix.Length..])
            .Select(n => (Version: int.Parse(n.AsSpan("Migrations/".Length, 4), System.Globalization.CultureInfo.InvariantCulture), Resource: n))
            .OrderBy(m => m.Version)
            .Select(m => (m.Version, Path.GetFileName(m.Resource), Get(m.Resource)));
}
