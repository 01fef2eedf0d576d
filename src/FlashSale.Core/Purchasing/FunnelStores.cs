using FlashSale.Core.Workers;
using Microsoft.Extensions.Logging;

namespace FlashSale.Core.Purchasing;

/// <summary>Embedded mode: one process, so its own counters are the whole funnel.</summary>
public sealed class LocalFunnelStore(FunnelCounters counters) : IFunnelStore
{
    public Task AddAsync(long saleId, FunnelSnapshot delta, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<FunnelSnapshot> ReadAsync(long saleId, CancellationToken cancellationToken) => Task.FromResult(counters.For(saleId).Snapshot());
}

/// <summary>Distributed mode: ships this process's funnel counts to the shared store every second, and once more on the way out.</summary>
public sealed class FunnelFlusher(FunnelCounters counters, IFunnelStore store, ILogger<FunnelFlusher> logger) : RepeatingWorker
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override TimeSpan FirstPause => Interval;

    protected override TimeSpan Pause(int failures) => Interval;

    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
    {
        await FlushAsync(stoppingToken).ConfigureAwait(false);
        return Pass.Done;
    }

    protected override void LogFailure(Exception exception, int failures) =>
        logger.LogWarning("Funnel counts not flushed: {Reason}", exception.Message);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        foreach (var (saleId, delta) in counters.Drain())
        {
            try
            {
                await store.AddAsync(saleId, delta, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Counts are for operators: a failed flush is logged and dropped, never retried into a double count.
                logger.LogWarning("Funnel counts of sale {SaleId} not flushed: {Reason}", saleId, ex.Message);
            }
        }
    }
}
