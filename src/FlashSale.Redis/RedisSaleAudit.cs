using System.Globalization;
using FlashSale.Core.Orders;
using FlashSale.Core.Reconciliation;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>Reconciliation's view of the Redis gate and ledger of a sale (audit_read.lua: one atomic read).</summary>
public sealed class RedisSaleAudit(RedisConnection redis) : IGateAudit
{
    public async Task<GateAuditSnapshot?> ReadAsync(long saleId, CancellationToken cancellationToken)
    {
        var keys = RedisKeys.For(saleId);
        var result = await redis.CallAsync(() => RedisScript.AuditRead.EvaluateAsync(redis.Database,
            [keys.Meta, keys.Users, keys.Orders, keys.Returned, keys.Ledger], [RedisKeys.RelayGroup])).ConfigureAwait(false);
        var reply = (RedisResult[])result!;
        if (reply[0].IsNull) return null;

        var users = new Dictionary<string, long>(StringComparer.Ordinal);
        var flatUsers = (RedisResult[])reply[1]!;
        for (var i = 0; i + 1 < flatUsers.Length; i += 2) users[(string)flatUsers[i]!] = (long)flatUsers[i + 1];

        var intents = new List<OrderIntent>();
        var flatOrders = (RedisResult[])reply[2]!;
        for (var i = 0; i + 1 < flatOrders.Length; i += 2)
        {
            intents.Add(StoredIntent.Read((string)flatOrders[i + 1]!, ParseId(flatOrders[i]), saleId));
        }

        var returned = ((RedisResult[])reply[3]!).Select(ParseId).ToHashSet();

        var entries = new HashSet<long>();
        var orderOfEntry = new Dictionary<string, long>(StringComparer.Ordinal);
        var flatLedger = (RedisResult[])reply[4]!;
        for (var i = 0; i + 1 < flatLedger.Length; i += 2)
        {
            var orderId = ParseId(flatLedger[i + 1]);
            entries.Add(orderId);
            orderOfEntry[(string)flatLedger[i]!] = orderId;
        }
        var pending = ((RedisResult[])reply[5]!).Select(r => orderOfEntry.GetValueOrDefault((string)r!)).ToHashSet();
        var delivered = reply[6].IsNull ? null : (string?)reply[6];
        var unrelayed = orderOfEntry.Where(e => delivered is null || CompareEntryIds(e.Key, delivered) > 0).Select(e => e.Value).ToHashSet();

        return new GateAuditSnapshot((long)reply[0], users, intents, returned, new LedgerAuditSnapshot(entries, pending, unrelayed));
    }

    public async Task<bool> ReturnOrphanedAsync(long saleId, OrphanedDeduction deduction, CancellationToken cancellationToken)
    {
        var keys = RedisKeys.For(saleId);
        var args = new List<RedisValue>(2 + deduction.Users.Count * 3) { deduction.ExpectedRemaining, deduction.Units };
        foreach (var user in deduction.Users)
        {
            args.Add(user.UserId);
            args.Add(user.ExpectedTotal);
            args.Add(user.Units);
        }
        var result = await redis.CallAsync(() => RedisScript.ReturnOrphaned.EvaluateAsync(redis.Database, [keys.Meta, keys.Users], [.. args])).ConfigureAwait(false);
        return (int)result == 1;
    }

    private static long ParseId(RedisResult value) => long.Parse((string)value!, CultureInfo.InvariantCulture);

    /// <summary>Stream entry ids "ms-seq", compared as numbers.</summary>
    private static int CompareEntryIds(string a, string b)
    {
        static (ulong Ms, ulong Seq) Parse(string id)
        {
            var dash = id.IndexOf('-', StringComparison.Ordinal);
            return dash < 0
                ? (ulong.Parse(id, CultureInfo.InvariantCulture), 0)
                : (ulong.Parse(id.AsSpan(0, dash), CultureInfo.InvariantCulture), ulong.Parse(id.AsSpan(dash + 1), CultureInfo.InvariantCulture));
        }
        return Parse(a).CompareTo(Parse(b));
    }
}
