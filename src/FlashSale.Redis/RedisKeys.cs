using System.Globalization;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>
/// Key names. Every key of one sale carries the hash tag {sale:ID}, so Redis Cluster keeps a sale on one
/// slot and one script can touch all of them.
/// </summary>
internal static class RedisKeys
{
    public const string RelayGroup = "relay";
    public static readonly RedisKey WatchedSales = "fs:sales";
    public static readonly RedisKey WorkerSequence = "fs:worker-seq";
    public const string WorkerLeasePrefix = "fs:worker:";

    public static SaleKeys For(long saleId) => new(saleId);

    internal sealed class SaleKeys
    {
        public SaleKeys(long saleId)
        {
            var tag = "fs:{sale:" + saleId.ToString(CultureInfo.InvariantCulture) + "}:";
            Meta = tag + "meta";
            Users = tag + "users";
            Requests = tag + "requests";
            Orders = tag + "orders";
            Ledger = tag + "ledger";
            Failed = tag + "failed";
            Rebuild = tag + "rebuild";
            DecideKeys = [Meta, Users, Requests, Orders, Ledger];
        }

        public RedisKey Meta { get; }
        public RedisKey Users { get; }
        public RedisKey Requests { get; }
        public RedisKey Orders { get; }
        public RedisKey Ledger { get; }
        public RedisKey Failed { get; }
        /// <summary>Held (SET NX, expiring) by the one process that (re)builds the sale's gate state.</summary>
        public RedisKey Rebuild { get; }
        public RedisKey[] DecideKeys { get; }
    }
}
