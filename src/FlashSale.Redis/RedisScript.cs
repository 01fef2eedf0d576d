using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>The Lua scripts of this assembly's Scripts folder, each named as its file: <c>ReturnUnits</c> is return_units.lua.</summary>
internal enum RedisScript
{
    Decide, Preheat, Restore, ReturnUnits, LedgerRead, LedgerRetire, LedgerLag, AuditRead, ReturnOrphaned,
    SlidingWindow, Once, DistinctRecent, BlacklistPrune, WorkerRenew, WorkerRelease,
}

/// <summary>
/// Runs a <see cref="RedisScript"/> by EVALSHA; when the server has lost its script cache (restart, SCRIPT FLUSH) the
/// script is sent whole once more, which caches it again. Every script is read once, when the first one runs.
/// </summary>
internal static class RedisScripts
{
    private static readonly (string Text, byte[] Sha1)[] Loaded = Enum.GetValues<RedisScript>().Select(Load).ToArray();

    public static async Task<RedisResult> EvaluateAsync(this RedisScript script, IDatabaseAsync db, RedisKey[] keys, RedisValue[] args)
    {
        var (text, sha1) = Loaded[(int)script];
        try
        {
            return await db.ScriptEvaluateAsync(sha1, keys, args).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(text, keys, args).ConfigureAwait(false);
        }
    }

    /// <summary>The file of <paramref name="script"/>: its name in snake case.</summary>
    internal static string FileName(RedisScript script) =>
        string.Concat(script.ToString().Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString())) + ".lua";

    private static (string, byte[]) Load(RedisScript script)
    {
        var name = FileName(script);
        using var stream = typeof(RedisScripts).Assembly.GetManifestResourceStream("FlashSale.Redis.Scripts." + name)
            ?? throw new InvalidOperationException($"Lua script {name} is missing");
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        return (text, SHA1.HashData(Encoding.UTF8.GetBytes(text)));
    }
}
