using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>The stock gate on Redis: decide.lua makes every decision of a batch in one atomic step.</summary>
public sealed class RedisStockGate(IConnectionMultiplexer redis) : IStockGate
{
    private readonly ConcurrentDictionary<long, RedisKeys.SaleKeys> _keys = new();

    private RedisKeys.SaleKeys KeysOf(long saleId) => _keys.GetOrAdd(saleId, RedisKeys.For);

    public async Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken)
    {
        var n = requests.Length;
        var args = new RedisValue[1 + n * 4];
        args[0] = n;
        var span = requests.Span;
        for (var i = 0; i < n; i++)
        {
            ref readonly var r = ref span[i];
            args[1 + i * 4] = r.UserId;
            args[2 + i * 4] = r.RequestId;
            args[3 + i * 4] = r.Quantity;
            args[4 + i * 4] = r.CandidateOrderId;
        }

        var result = await GuardAsync(redis, () => RedisScript.Decide.EvaluateAsync(redis.GetDatabase(), KeysOf(saleId).DecideKeys, args)).ConfigureAwait(false);
        var reply = (RedisResult[])result!;
        var remaining = (long)reply[2 * n];
        var outSpan = decisions.Span;
        for (var i = 0; i < n; i++)
        {
            outSpan[i] = new GateDecision((GateOutcome)(int)reply[2 * i], long.Parse((string)reply[2 * i + 1]!, CultureInfo.InvariantCulture), remaining);
        }
    }

    public async Task PreheatAsync(SaleStockSnapshot snapshot, CancellationToken cancellationToken)
    {
        var sale = snapshot.Sale;
        var keys = KeysOf(sale.Id);
        var args = new List<RedisValue>(7 + snapshot.UserTotals.Count * 2)
        {
            snapshot.AvailableStock, sale.PerUserLimit, sale.StartsAt.ToUnixTimeMilliseconds(), sale.EndsAt.ToUnixTimeMilliseconds(),
            sale.Stock, sale.Stock - snapshot.AvailableStock, RedisKeys.RelayGroup,
        };
        foreach (var (user, units) in snapshot.UserTotals)
        {
            args.Add(user);
            args.Add(units);
        }
        var db = redis.GetDatabase();
        await GuardAsync(redis, () => RedisScript.Preheat.EvaluateAsync(db, [keys.Meta, keys.Users, keys.Ledger], [.. args])).ConfigureAwait(false);
        await GuardAsync(redis, () => db.SetAddAsync(RedisKeys.WatchedSales, sale.Id)).ConfigureAwait(false);
    }

    public async Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken)
    {
        var values = await GuardAsync(redis, () => redis.GetDatabase().HashGetAsync(KeysOf(saleId).Meta, ["remaining", "accepted", "failed"])).ConfigureAwait(false);
        if (values[0].IsNull) return null;
        return new GateSaleCounters((long)values[0], (long)values[1], (long)values[2]);
    }

    public async Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var sales = await GuardAsync(redis, () => db.SetMembersAsync(RedisKeys.WatchedSales)).ConfigureAwait(false);
        // Few sales run at once: ask each in one pipelined round.
        var lookups = sales.Select(s => (SaleId: (long)s, Json: db.HashGetAsync(KeysOf((long)s).Orders, orderId))).ToArray();
        await GuardAsync(redis, async () => { await Task.WhenAll(lookups.Select(l => l.Json)).ConfigureAwait(false); return true; }).ConfigureAwait(false);
        foreach (var (saleId, json) in lookups)
        {
            var value = await json.ConfigureAwait(false);
            if (value.IsNull) continue;
            var stored = JsonSerializer.Deserialize((string)value!, RedisJsonContext.Default.StoredIntent)!;
            return new OrderIntent(orderId, saleId, stored.U, stored.Q, stored.R, stored.T);
        }
        return null;
    }

    public async Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken)
    {
        var entries = await GuardAsync(redis, () => redis.GetDatabase().HashGetAllAsync(KeysOf(saleId).Requests)).ConfigureAwait(false);
        var accepted = new Dictionary<(string, string), long>(entries.Length);
        foreach (var entry in entries)
        {
            // decide.lua's field: "<length of user id>:<user id><request id>".
            var field = (string)entry.Name!;
            var colon = field.IndexOf(':', StringComparison.Ordinal);
            var length = int.Parse(field.AsSpan(0, colon), CultureInfo.InvariantCulture);
            accepted[(field.Substring(colon + 1, length), field[(colon + 1 + length)..])] = long.Parse((string)entry.Value!, CultureInfo.InvariantCulture);
        }
        return accepted;
    }

    public async Task<bool> ReturnFailedAsync(OrderIntent intent, CancellationToken cancellationToken)
    {
        var keys = KeysOf(intent.SaleId);
        var result = await GuardAsync(redis, () => RedisScript.ReturnFailed.EvaluateAsync(redis.GetDatabase(), [keys.Meta, keys.Users, keys.Failed],
            [intent.OrderId, intent.UserId, intent.Quantity])).ConfigureAwait(false);
        return (int)result == 1;
    }

    /// <summary>
    /// Any failure to reach Redis becomes <see cref="GateUnavailableException"/>: fail closed, never guess.
    /// StackExchange.Redis 1.x puts no deadline on asynchronous calls (a half-open connection or a stalled
    /// server would hold the await forever), so every call gets the client's own timeout (SyncTimeout).
    /// </summary>
    internal static async Task<T> GuardAsync<T>(IConnectionMultiplexer redis, Func<Task<T>> call)
    {
        try
        {
            return await call().WaitAsync(TimeSpan.FromMilliseconds(redis.TimeoutMilliseconds)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException or TimeoutException
                                       || (ex is RedisServerException s && (s.Message.StartsWith("LOADING", StringComparison.Ordinal) || s.Message.StartsWith("BUSY", StringComparison.Ordinal))))
        {
            throw new GateUnavailableException($"Redis unavailable: {ex.Message}", ex);
        }
    }
}
