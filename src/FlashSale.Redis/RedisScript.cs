using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>
/// A Lua script from this assembly's Scripts folder, run by EVALSHA; when the server has lost its script
/// cache (restart, SCRIPT FLUSH) it is sent whole once more, which caches it again.
/// </summary>
internal sealed class RedisScript
{
    private readonly string _text;
    private readonly byte[] _sha1;

    private RedisScript(string name)
    {
        using var stream = typeof(RedisScript).Assembly.GetManifestResourceStream($"FlashSale.Redis.Scripts.{name}.lua")
            ?? throw new InvalidOperationException($"Lua script {name} is missing");
        using var reader = new StreamReader(stream);
        _text = reader.ReadToEnd();
        _sha1 = System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(_text));
    }

    public static readonly RedisScript Decide = new("decide");
    public static readonly RedisScript Preheat = new("preheat");
    public static readonly RedisScript Restore = new("restore");
    public static readonly RedisScript ReturnFailed = new("return_failed");
    public static readonly RedisScript LedgerRead = new("ledger_read");
    public static readonly RedisScript LedgerRetire = new("ledger_retire");
    public static readonly RedisScript SlidingWindow = new("sliding_window");
    public static readonly RedisScript Once = new("once");
    public static readonly RedisScript DistinctRecent = new("distinct_recent");
    public static readonly RedisScript WorkerRenew = new("worker_renew");
    public static readonly RedisScript WorkerRelease = new("worker_release");
    public static readonly RedisScript AuditRead = new("audit_read");
    public static readonly RedisScript ReturnOrphaned = new("return_orphaned");

    public async Task<RedisResult> EvaluateAsync(IDatabaseAsync db, RedisKey[] keys, RedisValue[] args)
    {
        try
        {
            return await db.ScriptEvaluateAsync(_sha1, keys, args).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            return await db.ScriptEvaluateAsync(_text, keys, args).ConfigureAwait(false);
        }
    }
}
