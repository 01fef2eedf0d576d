using FlashSale.Core.Purchasing;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>
/// Redis as every FlashSale component calls it: one multiplexer, and a deadline on each call
/// (<see cref="RedisGateOptions.CallTimeout"/>). Any failure of a call becomes <see cref="GateUnavailableException"/>:
/// fail closed, never guess.
/// </summary>
public sealed class RedisConnection(IConnectionMultiplexer multiplexer, TimeSpan? callTimeout = null)
{
    public IConnectionMultiplexer Multiplexer { get; } = multiplexer;

    /// <summary>The longest any one call is waited for.</summary>
    public TimeSpan CallTimeout { get; } = callTimeout ?? new RedisGateOptions().CallTimeout;

    public IDatabase Database => Multiplexer.GetDatabase();

    public async Task<T> CallAsync<T>(Func<Task<T>> call)
    {
        try
        {
            // StackExchange.Redis 1.2 gives an async call no deadline of its own: a stalled server or a half-open
            // connection would hold the caller until the connection dies. Every call here gets one.
            return await call().WaitAsync(CallTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Not only a lost connection: OOM (maxmemory, noeviction), READONLY (a failover), TRYAGAIN,
            // CLUSTERDOWN, LOADING, BUSY and a script's runtime error all mean "no decision was made".
            throw new GateUnavailableException($"Redis unavailable: {ex.Message}", ex);
        }
    }
}
