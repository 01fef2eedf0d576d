using FlashSale.Core.Orders;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlashSale.Core.Hosting;

/// <summary>Readiness of the system of record, whichever store the mode uses.</summary>
public sealed class StoreHealthCheck(IFlashSaleStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await store.IsReadyAsync(cancellationToken).ConfigureAwait(false) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("database unreachable");
}
