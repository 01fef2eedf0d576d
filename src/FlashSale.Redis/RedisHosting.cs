using FlashSale.Core.Gateway;
using FlashSale.Core.Hosting;
using FlashSale.Core.Ids;
using FlashSale.Core.Notifications;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Reconciliation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlashSale.Redis;

public static class RedisHosting
{
    /// <summary>
    /// Redis as the stock gate and its ledger, the gateway's shared state (rate windows, tokens, risk signals,
    /// blacklist, funnel counts), the worker id leases, the gate's reconciliation view and the "redis" health
    /// check. ConnectionStrings:Redis; options FlashSale:Redis.
    /// </summary>
    public static IHostApplicationBuilder AddRedisGate(this IHostApplicationBuilder builder)
    {
        var connectionString = ConnectionStrings.Required(builder.Configuration, "Redis");
        var services = builder.Services;
        services.AddOptions<RedisGateOptions>().BindConfiguration(RedisGateOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IConnectionMultiplexer>(_ => Connect(connectionString));
        services.AddSingleton(sp => new RedisConnection(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOptions<RedisGateOptions>>().Value.CallTimeout));
        services.AddSingleton<IStockGate>(sp => new RedisStockGate(sp.GetRequiredService<RedisConnection>(),
            sp.GetRequiredService<IOptions<RedisGateOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IIntentLedger, RedisIntentLedger>();
        services.AddSingleton<IGateAudit, RedisSaleAudit>();

        services.AddGatewayState<RedisRateWindow, RedisOnceStore, RedisRiskSignals, RedisBlacklist, RedisFunnelStore>();
        services.AddHostedService<RedisBlacklistSync>();
        services.AddHostedService<FunnelFlusher>();

        services.AddSingleton<RedisWorkerIdSource>();
        services.AddSingleton<IWorkerIdSource>(sp => sp.GetRequiredService<RedisWorkerIdSource>());
        services.AddHostedService<RedisWorkerIdLeaseKeeper>();

        // Live order signals across processes; registered before the pipeline's in-process default, which then stays out.
        services.TryAddSingleton<InProcessOrderNotifier>();
        services.AddSingleton<RedisOrderNotifier>();
        services.AddSingleton<IOrderNotifier>(sp => sp.GetRequiredService<RedisOrderNotifier>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisOrderNotifier>());

        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");
        return builder;
    }

    private static ConnectionMultiplexer Connect(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false; // start while Redis is down; the gate answers 503 until it is back
        options.ConnectTimeout = 2_000;
        options.SyncTimeout = 2_000; // asynchronous calls: FlashSale:Redis:CallTimeout (RedisConnection.CallAsync)
        options.ResponseTimeout = 2_000; // a connection with a reply this late is unhealthy and is replaced
        options.ConnectRetry = 1;
        options.KeepAlive = 5;
        options.ClientName = $"flashsale-{Environment.ProcessId}";
        return ConnectionMultiplexer.Connect(options);
    }
}

internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis unreachable", ex);
        }
    }
}
