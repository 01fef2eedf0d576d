using System.Globalization;
using FlashSale.Core.Ids;
using StackExchange.Redis;

namespace FlashSale.Redis;

public enum WorkerIdRenewal : byte
{
    /// <summary>Still this process's.</summary>
    Kept,
    /// <summary>It had lapsed (Redis unreachable for a while) and nobody had taken it: this process's again.</summary>
    Retaken,
    /// <summary>Another process holds it now: this process must stop minting ids.</summary>
    Lost,
}

/// <summary>
/// A Snowflake worker id leased in Redis (<c>fs:worker:{id}</c>, SET NX with an expiry), so that no two
/// live processes share one however many have started before. The search starts at a shared counter
/// and goes round the id space; the holder renews the lease well before it expires.
/// </summary>
public sealed class RedisWorkerIdLease
{
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan RenewInterval = TimeSpan.FromSeconds(10);

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisKey _key;
    private readonly string _token;
    private readonly TimeSpan _duration;

    private RedisWorkerIdLease(IConnectionMultiplexer redis, int id, RedisKey key, string token, TimeSpan duration)
    {
        (_redis, Id, _key, _token, _duration) = (redis, id, key, token, duration);
    }

    public int Id { get; }

    /// <summary>Leases a free worker id. Throws <see cref="WorkerIdUnavailableException"/> when all 1,024 are held;
    /// Redis's own exceptions pass through (start-up waits and retries on them).</summary>
    public static Task<RedisWorkerIdLease> AcquireAsync(IConnectionMultiplexer redis) =>
        AcquireAsync(redis, RedisKeys.WorkerSequence, RedisKeys.WorkerLeasePrefix, SnowflakeIdGenerator.MaxWorkerId + 1, Duration);

    /// <summary>The same over another key space and size (tests).</summary>
    internal static async Task<RedisWorkerIdLease> AcquireAsync(IConnectionMultiplexer redis, RedisKey sequence, string leasePrefix, int space, TimeSpan duration)
    {
        var db = redis.GetDatabase();
        var token = string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}");
        var start = await db.StringIncrementAsync(sequence).ConfigureAwait(false);
        for (var i = 0; i < space; i++)
        {
            var id = (int)((start + i) % space);
            RedisKey key = leasePrefix + id.ToString(CultureInfo.InvariantCulture);
            if (await db.StringSetAsync(key, token, duration, When.NotExists).ConfigureAwait(false))
                return new RedisWorkerIdLease(redis, id, key, token, duration);
        }
        throw new WorkerIdUnavailableException(
            $"No Snowflake worker id is free: all {space} leases ({leasePrefix}0..{space - 1} in Redis) are held by running FlashSale processes. " +
            $"Stop processes that are not needed, or wait {duration.TotalSeconds:0} s for the leases of stopped ones to expire.");
    }

    /// <summary>Extends the lease (or takes it again if it lapsed unclaimed); <see cref="WorkerIdRenewal.Lost"/> when
    /// another process holds it. Redis's exceptions pass through.</summary>
    public async Task<WorkerIdRenewal> RenewAsync()
    {
        var result = (int)await RedisScript.WorkerRenew.EvaluateAsync(_redis.GetDatabase(), [_key], [_token, (long)_duration.TotalMilliseconds]).ConfigureAwait(false);
        return result switch { 1 => WorkerIdRenewal.Kept, 2 => WorkerIdRenewal.Retaken, _ => WorkerIdRenewal.Lost };
    }

    /// <summary>Gives the id back (clean stop), unless another process holds it by now.</summary>
    public Task ReleaseAsync() => RedisScript.WorkerRelease.EvaluateAsync(_redis.GetDatabase(), [_key], [_token]);
}

/// <summary>No worker id can be leased: the message says why and what to do.</summary>
public sealed class WorkerIdUnavailableException(string message) : Exception(message);
