using System.Globalization;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>The ledger is a Redis stream per sale, read through one consumer group shared by every relay.</summary>
public sealed class RedisIntentLedger(RedisConnection redis, TimeSpan? watchAfterEnd = null) : IIntentLedger
{
    private readonly TimeSpan _watchAfterEnd = watchAfterEnd ?? WatchAfterEnd;

    /// <summary>An entry unacknowledged this long belongs to a reader presumed dead and is taken over.</summary>
    public static readonly TimeSpan TakeOverAfter = TimeSpan.FromSeconds(5);

    /// <summary>How long after its end a sale's ledger is still watched.</summary>
    public static readonly TimeSpan WatchAfterEnd = TimeSpan.FromMinutes(1);

    public async Task<IReadOnlyList<long>> GetWatchedSalesAsync(CancellationToken cancellationToken)
    {
        var members = await redis.CallAsync(() => redis.Database.SetMembersAsync(RedisKeys.WatchedSales)).ConfigureAwait(false);
        return members.Select(m => (long)m).ToArray();
    }

    public async Task<IReadOnlyList<LedgerEntry>> ReadAsync(long saleId, string readerName, int maxCount, CancellationToken cancellationToken)
    {
        var keys = RedisKeys.For(saleId);
        var db = redis.Database;
        var result = await redis.CallAsync(() => RedisScript.LedgerRead.EvaluateAsync(db, [keys.Ledger],
            [RedisKeys.RelayGroup, readerName, maxCount, (long)TakeOverAfter.TotalMilliseconds])).ConfigureAwait(false);
        return ParseEntries(saleId, (RedisResult[])result!);
    }

    public async Task<IReadOnlyList<LedgerEntry>> PeekAsync(long saleId, string? afterEntryId, int maxCount, CancellationToken cancellationToken)
    {
        var ledger = (string)RedisKeys.For(saleId).Ledger!;
        var from = afterEntryId is null ? "-" : "(" + afterEntryId;
        var page = await redis.CallAsync(() => redis.Database.ExecuteAsync("XRANGE", ledger, from, "+", "COUNT", maxCount)).ConfigureAwait(false);
        return ParseEntries(saleId, (RedisResult[])page!);
    }

    public async Task TrimAsync(long saleId, IReadOnlyList<LedgerEntry> persisted, CancellationToken cancellationToken)
    {
        if (persisted.Count == 0) return;
        var args = new object[1 + persisted.Count];
        args[0] = (string)RedisKeys.For(saleId).Ledger!;
        for (var i = 0; i < persisted.Count; i++) args[1 + i] = persisted[i].EntryId;
        await redis.CallAsync(() => redis.Database.ExecuteAsync("XDEL", args)).ConfigureAwait(false);
    }

    public async Task<bool> TryRetireAsync(long saleId, CancellationToken cancellationToken)
    {
        var keys = RedisKeys.For(saleId);
        var retired = await redis.CallAsync(() => RedisScript.LedgerRetire.EvaluateAsync(redis.Database, [keys.Ledger, keys.Meta, RedisKeys.WatchedSales],
            [RedisKeys.RelayGroup, (long)_watchAfterEnd.TotalMilliseconds, saleId])).ConfigureAwait(false);
        return (int)retired == 1;
    }

    public async Task<long> CountUnrelayedAsync(long saleId, CancellationToken cancellationToken, int cap = 10_000)
    {
        var result = await redis.CallAsync(() => RedisScript.LedgerLag.EvaluateAsync(redis.Database, [RedisKeys.For(saleId).Ledger],
            [RedisKeys.RelayGroup, cap])).ConfigureAwait(false);
        return (long)result;
    }

    /// <summary>Every entry still in the sale's ledger (relayed or not), oldest first, read in pages.</summary>
    internal static async Task<List<LedgerEntry>> ReadAllAsync(RedisConnection redis, long saleId)
    {
        var ledger = (string)RedisKeys.For(saleId).Ledger!;
        var all = new List<LedgerEntry>();
        var from = "-";
        while (true)
        {
            var page = ParseEntries(saleId, (RedisResult[])(await redis.CallAsync(() => redis.Database.ExecuteAsync("XRANGE", ledger, from, "+", "COUNT", 10_000)).ConfigureAwait(false))!);
            all.AddRange(page);
            if (page.Count < 10_000) return all;
            from = "(" + page[^1].EntryId;
        }
    }

    /// <summary>Stream entries (id, [field, value, ...]) as written by decide.lua.</summary>
    internal static List<LedgerEntry> ParseEntries(long saleId, RedisResult[] entries)
    {
        var list = new List<LedgerEntry>(entries.Length);
        foreach (var entry in entries)
        {
            var parts = (RedisResult[])entry!;
            if (parts.Length < 2 || parts[1].IsNull) continue; // deleted entry
            var id = (string)parts[0]!;
            var fields = (RedisValue[])parts[1]!;
            long orderId = 0, at = 0; int quantity = 0; string user = "", request = ""; string? context = null;
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                switch ((string)fields[i]!)
                {
                    case "o": orderId = long.Parse((string)fields[i + 1]!, CultureInfo.InvariantCulture); break;
                    case "u": user = fields[i + 1]!; break;
                    case "q": quantity = (int)fields[i + 1]; break;
                    case "r": request = fields[i + 1]!; break;
                    case "t": at = (long)fields[i + 1]; break;
                    case "c": context = fields[i + 1]; break;
                }
            }
            list.Add(new LedgerEntry(id, new OrderIntent(orderId, saleId, user, quantity, request, at), context));
        }
        return list;
    }

    public async Task AcknowledgeAsync(long saleId, IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken)
    {
        var args = new object[2 + entries.Count];
        args[0] = (string)RedisKeys.For(saleId).Ledger!;
        args[1] = RedisKeys.RelayGroup;
        for (var i = 0; i < entries.Count; i++) args[2 + i] = entries[i].EntryId;
        await redis.CallAsync(() => redis.Database.ExecuteAsync("XACK", args)).ConfigureAwait(false);
    }
}
