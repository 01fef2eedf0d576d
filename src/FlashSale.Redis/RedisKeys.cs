using System.Globalization;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>
/// Every key name FlashSale uses in Redis, in one place. Every key of one sale carries the hash tag {sale:ID},
/// so Redis Cluster keeps a sale on one slot and one script can touch all of them.
/// </summary>
public static class RedisKeys
{
    public const string RelayGroup = "relay";
    public static readonly RedisKey WatchedSales = "fs:sales";
    public static readonly RedisKey WorkerSequence = "fs:worker-seq";
    public const string WorkerLeasePrefix = "fs:worker:";
    public static readonly RedisKey Blacklist = "fs:blacklist";
    public static readonly RedisKey BlacklistVersion = "fs:blacklist:version";

    /// <summary>The pub/sub channel of live order changes (<see cref="RedisOrderNotifier"/>): one message per change, to every process.</summary>
    public static readonly RedisChannel OrderEvents = "fs:order-events";

    public static SaleKeys For(long saleId) => new(saleId);

    /// <summary>A sliding window of the gateway (per IP or per user, and sale).</summary>
    public static RedisKey RateWindow(string key) => "fs:rate:" + key;

    /// <summary>A single-use marker (a spent purchase token or challenge).</summary>
    public static RedisKey Once(string key) => "fs:once:" + key;

    public static RedisKey RiskDevicesOfUser(string userKey) => "fs:risk:devices:" + userKey;

    public static RedisKey RiskUsersOfIp(string ipKey) => "fs:risk:users:" + ipKey;

    public sealed class SaleKeys
    {
        /// <summary>The suffixes of a sale's keys: <c>fs:{sale:ID}:suffix</c>.</summary>
        public static readonly string[] Suffixes = ["meta", "users", "requests", "orders", "ledger", "failed", "rebuild", "funnel"];

        public SaleKeys(long saleId)
        {
            var tag = "fs:{sale:" + saleId.ToString(CultureInfo.InvariantCulture) + "}:";
            Prefix = tag;
            Meta = tag + "meta";
            Users = tag + "users";
            Requests = tag + "requests";
            Orders = tag + "orders";
            Ledger = tag + "ledger";
            Returned = tag + "failed"; // the name it had when only failed orders gave units back; kept so live sales keep their state
            Rebuild = tag + "rebuild";
            Funnel = tag + "funnel";
            DecideKeys = [Meta, Users, Requests, Orders, Ledger];
        }

        public RedisKey Meta { get; }
        public RedisKey Users { get; }
        public RedisKey Requests { get; }
        public RedisKey Orders { get; }
        public RedisKey Ledger { get; }
        /// <summary>The orders (failed or cancelled) whose units and quota are back in the gate, each at most once.</summary>
        public RedisKey Returned { get; }
        /// <summary>Held (SET NX, expiring) by the one process that (re)builds the sale's gate state.</summary>
        public RedisKey Rebuild { get; }
        /// <summary>The sale's funnel counts, summed over every API process.</summary>
        public RedisKey Funnel { get; }
        public string Prefix { get; }
        public RedisKey[] DecideKeys { get; }
    }
}
