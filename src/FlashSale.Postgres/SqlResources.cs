using FlashSale.Core.Storage;

namespace FlashSale.Postgres;

/// <summary>This adapter's SQL files (Sql/**/*.sql, embedded).</summary>
internal static class SqlResources
{
    private static readonly SqlScripts Scripts = new(typeof(SqlResources).Assembly, "FlashSale.Postgres.Sql.");

    public static string Get(string name) => Scripts.Get(name);

    public static IEnumerable<(int Version, string Name, string Sql)> Migrations() => Scripts.Migrations();
}
