using FlashSale.Core.Ids;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>Snowflake worker ids for the processes of one deployment, drawn from a shared counter.</summary>
public static class RedisWorkerIds
{
    /// <summary>The next id, modulo the 1,024 a Snowflake id can carry.</summary>
    public static async Task<int> NextAsync(IConnectionMultiplexer redis)
    {
        // Redis's own exceptions pass through: start-up waits and retries on them.
        var sequence = await redis.GetDatabase().StringIncrementAsync(RedisKeys.WorkerSequence).ConfigureAwait(false);
        return (int)(sequence % (SnowflakeIdGenerator.MaxWorkerId + 1));
    }
}
