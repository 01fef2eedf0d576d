using System.Collections.Concurrent;
using System.Globalization;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>The stock gate on Redis: decide.lua makes every decision of a batch in one atomic step.</summary>
public sealed class RedisStockGate(RedisConnection redis, RedisGateOptions? options = null, TimeProvider? time = null) : IStockGate
{
    private readonly ConcurrentDictionary<long, RedisKeys.SaleKeys> _keys = new();
    private readonly RedisGateOptions _options = options ?? new RedisGateOptions();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    private RedisKeys.SaleKeys KeysOf(long saleId) => _keys.GetOrAdd(saleId, RedisKeys.For);

    public async Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken)
    {
        var n = requests.Length;
        var span = requests.Span;
        var traced = false;
        foreach (ref readonly var r in span) traced |= r.Span is not null;
        // Traced purchases' contexts follow the batch, one per request (empty when that one is not traced), and the ledger
        // keeps them with the intents; untraced batches send exactly what they always did.
        var args = new RedisValue[1 + n * (traced ? 5 : 4)];
        args[0] = n;
        for (var i = 0; i < n; i++)
        {
            ref readonly var r = ref span[i];
            args[1 + i * 4] = r.UserId;
            args[2 + i * 4] = r.RequestId;
            args[3 + i * 4] = r.Quantity;
            args[4 + i * 4] = r.CandidateOrderId;
            if (traced) args[1 + n * 4 + i] = r.Span is { } purchase ? PipelineTracing.TraceParent(purchase.Context) : "";
        }

        var db = redis.Database;
        var result = await redis.CallAsync(() => RedisScript.Decide.EvaluateAsync(db, KeysOf(saleId).DecideKeys, args)).ConfigureAwait(false);
        var reply = (RedisResult[])result!;
        var remaining = (long)reply[2 * n];
        var outSpan = decisions.Span;
        var accepted = false;
        for (var i = 0; i < n; i++)
        {
            var outcome = (GateOutcome)(int)reply[2 * i];
            accepted |= outcome == GateOutcome.Accepted;
            outSpan[i] = new GateDecision(outcome, long.Parse((string)reply[2 * i + 1]!, CultureInfo.InvariantCulture), remaining);
        }
        if (accepted && _options.WaitForReplicas > 0)
        {
            // The 202s leave only once the replicas hold the acceptances: a failover then keeps them.
            var acked = (long)await redis.CallAsync(() => db.ExecuteAsync("WAIT", _options.WaitForReplicas, (long)_options.ReplicaTimeout.TotalMilliseconds)).ConfigureAwait(false);
            if (acked < _options.WaitForReplicas)
            {
                throw new GateUnavailableException($"{acked} of {_options.WaitForReplicas} Redis replicas confirmed the batch in time");
            }
        }
    }

    public async Task<GateLoad> LoadSaleAsync(long saleId, Func<CancellationToken, Task<SaleStockSnapshot?>> readStore, GateLoadMode mode, CancellationToken cancellationToken)
    {
        var keys = KeysOf(saleId);
        var db = redis.Database;
        if (await redis.CallAsync(() => db.KeyExistsAsync(keys.Meta)).ConfigureAwait(false)) return GateLoad.Held;

        // One rebuilder per sale: the others answer 503 meanwhile, and their clients retry.
        var token = Guid.NewGuid().ToString("N");
        if (!await redis.CallAsync(() => db.LockTakeAsync(keys.Rebuild, token, _options.RebuildLease)).ConfigureAwait(false))
        {
            throw new GateUnavailableException($"the gate of sale {saleId} is being loaded by another process");
        }
        try
        {
            // The ledger first, the store second: an intent persisted (and trimmed from the ledger) in between is
            // in the store's snapshot, so no accepted intent is missed and none is counted twice.
            var ledgerKept = await redis.CallAsync(() => db.KeyExistsAsync(keys.Ledger)).ConfigureAwait(false);
            var unpersisted = ledgerKept ? await RedisIntentLedger.ReadAllAsync(redis, saleId).ConfigureAwait(false) : [];
            var snapshot = await readStore(cancellationToken).ConfigureAwait(false);
            if (snapshot is null) return GateLoad.UnknownSale;
            var ended = _time.GetUtcNow() >= snapshot.Sale.EndsAt;
            if (!ledgerKept && snapshot.GateLoaded && !ended && mode != GateLoadMode.AfterStateLoss)
            {
                // Intents accepted but not yet persisted went with the ledger: the database alone would re-sell them.
                return GateLoad.StateLost;
            }
            await RestoreAsync(db, keys, token, snapshot.WithUnpersisted(unpersisted.Select(e => e.Intent))).ConfigureAwait(false);
            await redis.CallAsync(() => db.SetAddAsync(RedisKeys.WatchedSales, saleId)).ConfigureAwait(false);
            return GateLoad.Loaded;
        }
        finally
        {
            try
            {
                await db.LockReleaseAsync(keys.Rebuild, token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // The lease expires by itself.
            }
        }
    }

    private const int RestoreChunk = 1_000;

    /// <summary>Writes the sale's users, requests, orders and returned orders in chunks, then makes it live (meta).</summary>
    private async Task RestoreAsync(IDatabase db, RedisKeys.SaleKeys keys, string token, SaleStockSnapshot snapshot)
    {
        var sale = snapshot.Sale;
        RedisKey[] guard = [keys.Meta, keys.Rebuild];
        await StepAsync([keys.Users, keys.Requests, keys.Orders, keys.Returned], "reset", []).ConfigureAwait(false);
        await ChunksAsync(keys.Users, "hset", snapshot.UserTotals.Select(u => ((RedisValue)u.Key, (RedisValue)u.Value))).ConfigureAwait(false);
        await ChunksAsync(keys.Requests, "hset", snapshot.Orders.Select(o => ((RedisValue)RequestField(o.UserId, o.RequestId), (RedisValue)o.OrderId))).ConfigureAwait(false);
        await ChunksAsync(keys.Orders, "hset", snapshot.Orders.Select(o => ((RedisValue)o.OrderId,
            (RedisValue)StoredIntent.Write(o.UserId, o.Quantity, o.RequestId, o.AcceptedAtMs)))).ConfigureAwait(false);
        await ChunksAsync(keys.Returned, "sadd", snapshot.Orders.Where(o => !o.TakesStock).Select(o => ((RedisValue)o.OrderId, RedisValue.Null))).ConfigureAwait(false);

        var expires = (sale.EndsAt + _options.RetentionAfterEnd).ToUnixTimeMilliseconds();
        var failedUnits = snapshot.Orders.Where(o => !o.TakesStock).Sum(o => (long)o.Quantity);
        var acceptedUnits = snapshot.Orders.Sum(o => (long)o.Quantity);
        await redis.CallAsync(() => RedisScript.Preheat.EvaluateAsync(db, [keys.Meta, keys.Ledger, keys.Rebuild, keys.Users, keys.Requests, keys.Orders, keys.Returned],
            [snapshot.AvailableStock, sale.PerUserLimit, sale.StartsAt.ToUnixTimeMilliseconds(), sale.EndsAt.ToUnixTimeMilliseconds(),
             sale.Stock, acceptedUnits, failedUnits, RedisKeys.RelayGroup, expires, token])).ConfigureAwait(false);

        Task StepAsync(RedisKey[] targets, string step, IEnumerable<RedisValue> values) =>
            redis.CallAsync(() => RedisScript.Restore.EvaluateAsync(db, [.. guard, .. targets], [token, step, .. values]));

        async Task ChunksAsync(RedisKey target, string step, IEnumerable<(RedisValue, RedisValue)> items)
        {
            foreach (var chunk in items.Chunk(RestoreChunk))
            {
                var values = step == "sadd" ? chunk.Select(c => c.Item1) : chunk.SelectMany(c => new[] { c.Item1, c.Item2 });
                await StepAsync([target], step, values).ConfigureAwait(false);
            }
        }
    }

    /// <summary>decide.lua's requests field for (user, requestId); see <see cref="ParseRequestField"/>.</summary>
    internal static string RequestField(string userId, string requestId) =>
        System.Text.Encoding.UTF8.GetByteCount(userId).ToString(CultureInfo.InvariantCulture) + ":" + userId + requestId;

    public async Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken)
    {
        var values = await redis.CallAsync(() => redis.Database.HashGetAsync(KeysOf(saleId).Meta, ["remaining", "accepted", "failed"])).ConfigureAwait(false);
        if (values[0].IsNull) return null;
        return new GateSaleCounters((long)values[0], (long)values[1], (long)values[2]);
    }

    public async Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken)
    {
        var db = redis.Database;
        var sales = await redis.CallAsync(() => db.SetMembersAsync(RedisKeys.WatchedSales)).ConfigureAwait(false);
        // Few sales run at once: ask each in one pipelined round.
        var lookups = sales.Select(s => (SaleId: (long)s, Json: db.HashGetAsync(KeysOf((long)s).Orders, orderId))).ToArray();
        await redis.CallAsync(async () => { await Task.WhenAll(lookups.Select(l => l.Json)).ConfigureAwait(false); return true; }).ConfigureAwait(false);
        foreach (var (saleId, json) in lookups)
        {
            var value = await json.ConfigureAwait(false);
            if (value.IsNull) continue;
            return StoredIntent.Read((string)value!, orderId, saleId);
        }
        return null;
    }

    public async Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken)
    {
        var entries = await redis.CallAsync(() => redis.Database.HashGetAllAsync(KeysOf(saleId).Requests)).ConfigureAwait(false);
        var accepted = new Dictionary<(string, string), long>(entries.Length);
        foreach (var entry in entries)
        {
            accepted[ParseRequestField(entry.Name!)] = long.Parse((string)entry.Value!, CultureInfo.InvariantCulture);
        }
        return accepted;
    }

    public async Task<bool> ReturnAsync(OrderIntent intent, CancellationToken cancellationToken)
    {
        var keys = KeysOf(intent.SaleId);
        var result = await redis.CallAsync(() => RedisScript.ReturnUnits.EvaluateAsync(redis.Database, [keys.Meta, keys.Users, keys.Returned],
            [intent.OrderId, intent.UserId, intent.Quantity])).ConfigureAwait(false);
        return (int)result == 1;
    }

    /// <summary>
    /// decide.lua's requests field, "&lt;length of user id in bytes&gt;:&lt;user id&gt;&lt;request id&gt;": Lua's
    /// <c>#</c> counts UTF-8 bytes, so the split is made on the bytes before either part is decoded.
    /// </summary>
    internal static (string UserId, string RequestId) ParseRequestField(byte[] field)
    {
        var colon = Array.IndexOf(field, (byte)':');
        var length = int.Parse(field.AsSpan(0, colon), CultureInfo.InvariantCulture);
        var utf8 = System.Text.Encoding.UTF8;
        return (utf8.GetString(field, colon + 1, length), utf8.GetString(field, colon + 1 + length, field.Length - colon - 1 - length));
    }
}
