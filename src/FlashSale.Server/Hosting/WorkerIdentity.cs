using FlashSale.Redis;

namespace FlashSale.Server.Hosting;

/// <summary>This process's Snowflake worker id: 0 in embedded mode, leased in Redis at start-up in distributed mode.</summary>
public sealed class WorkerIdentity
{
    private int _id = -1;

    public int Id => _id >= 0 ? _id : throw new InvalidOperationException("The worker id is assigned during start-up, before requests are served.");

    /// <summary>The Redis lease behind <see cref="Id"/> (distributed mode), kept by <see cref="WorkerIdLeaseKeeper"/>.</summary>
    public RedisWorkerIdLease? Lease { get; private set; }

    public void Assign(int id) => _id = id;

    public void Assign(RedisWorkerIdLease lease)
    {
        Lease = lease;
        _id = lease.Id;
    }
}
