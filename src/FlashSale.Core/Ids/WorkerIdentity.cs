namespace FlashSale.Core.Ids;

/// <summary>This process's Snowflake worker id, assigned once at start-up from the mode's <see cref="IWorkerIdSource"/>.</summary>
public sealed class WorkerIdentity
{
    private int _id = -1;

    public int Id => _id >= 0 ? _id : throw new InvalidOperationException("The worker id is assigned during start-up, before requests are served.");

    public void Assign(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(id, SnowflakeIdGenerator.MaxWorkerId);
        _id = id;
    }
}

/// <summary>Where a process gets a worker id no other live process holds: a lease (distributed) or the one process (embedded).</summary>
public interface IWorkerIdSource
{
    Task<int> AcquireAsync(CancellationToken cancellationToken);
}

/// <summary>Embedded mode: one process owns the database file, so one worker id serves.</summary>
public sealed class SingleProcessWorkerId : IWorkerIdSource
{
    public Task<int> AcquireAsync(CancellationToken cancellationToken) => Task.FromResult(0);
}
