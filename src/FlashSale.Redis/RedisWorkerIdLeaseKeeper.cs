using FlashSale.Core.Ids;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>Distributed mode's worker ids: leased in Redis at start-up (start-up retries while Redis is unreachable).</summary>
public sealed class RedisWorkerIdSource(IConnectionMultiplexer redis) : IWorkerIdSource
{
    /// <summary>The lease behind the id, kept by <see cref="RedisWorkerIdLeaseKeeper"/>.</summary>
    public RedisWorkerIdLease? Lease { get; private set; }

    public async Task<int> AcquireAsync(CancellationToken cancellationToken)
    {
        Lease = await RedisWorkerIdLease.AcquireAsync(redis).WaitAsync(cancellationToken).ConfigureAwait(false);
        return Lease.Id;
    }
}

/// <summary>
/// Renews this process's worker id lease every <see cref="RedisWorkerIdLease.RenewInterval"/> and gives it
/// back on a clean stop. Should another process hold the id by now, this one stops rather than mint order
/// ids that may collide; while Redis cannot be reached no purchase is accepted anyway (the gate fails closed).
/// </summary>
public sealed class RedisWorkerIdLeaseKeeper(RedisWorkerIdSource source, IHostApplicationLifetime lifetime, ILogger<RedisWorkerIdLeaseKeeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (source.Lease is not { } lease) return;
        using var timer = new PeriodicTimer(RedisWorkerIdLease.RenewInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                WorkerIdRenewal renewal;
                try
                {
                    renewal = await lease.RenewAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    logger.LogWarning("Worker id {WorkerId}: the lease could not be renewed ({Reason}); trying again", lease.Id, ex.Message);
                    continue;
                }
                if (renewal == WorkerIdRenewal.Retaken)
                {
                    logger.LogWarning("Worker id {WorkerId}: the lease had lapsed and is this process's again", lease.Id);
                }
                else if (renewal == WorkerIdRenewal.Lost)
                {
                    logger.LogCritical("Worker id {WorkerId} is leased by another process now: stopping, so that no two processes mint the same order ids", lease.Id);
                    lifetime.StopApplication();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (source.Lease is not { } lease) return;
        try
        {
            await lease.ReleaseAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
        {
            logger.LogWarning("Worker id {WorkerId}: the lease could not be given back ({Reason}); it expires by itself", lease.Id, ex.Message);
        }
    }
}
