using FlashSale.Redis;
using StackExchange.Redis;

namespace FlashSale.Server.Hosting;

/// <summary>
/// Renews this process's worker id lease every <see cref="RedisWorkerIdLease.RenewInterval"/> and gives it
/// back on a clean stop. Should another process hold the id by now, this one stops rather than mint order
/// ids that may collide; while Redis cannot be reached no purchase is accepted anyway (the gate fails closed).
/// </summary>
public sealed class WorkerIdLeaseKeeper(WorkerIdentity identity, IHostApplicationLifetime lifetime, ILogger<WorkerIdLeaseKeeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (identity.Lease is not { } lease) return;
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
        if (identity.Lease is not { } lease) return;
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
