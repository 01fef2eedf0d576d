using System.ComponentModel.DataAnnotations;
using FlashSale.Core.Embedded;
using FlashSale.Core.Gateway;
using FlashSale.Core.Hosting;
using FlashSale.Core.Ids;
using FlashSale.Core.Orders;
using FlashSale.Core.Pipeline;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FlashSale.Sqlite;

/// <summary>Embedded mode's store (FlashSale:Embedded).</summary>
public sealed class EmbeddedOptions
{
    public const string Section = "FlashSale:Embedded";

    /// <summary>The SQLite file (relative to the working directory); created with its folder on first run.</summary>
    [Required] public string DatabasePath { get; set; } = "flashsale-data/flashsale.db";

    /// <summary>Upper bound on the database file; writes beyond it fail like a full disk (503, nothing lost).</summary>
    [Range(1, int.MaxValue)] public int? MaxDatabaseSizeMb { get; set; }

    /// <summary>On a first run (no sale in the database), create a demo sale starting a minute after start-up.</summary>
    public bool DemoSale { get; set; } = true;
}

public static class EmbeddedHosting
{
    /// <summary>
    /// Embedded mode, one process and no servers: the in-process gate recording every acceptance to its ledger in a
    /// SQLite file that is also the system of record, an in-process order queue and writer, the gateway's state in
    /// memory, the reconciliation views and the "sqlite" health check.
    /// </summary>
    public static IHostApplicationBuilder AddEmbeddedStore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<EmbeddedOptions>().BindConfiguration(EmbeddedOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<EmbeddedOptions>>().Value;
            return new SqliteDatabase(options.DatabasePath, options.MaxDatabaseSizeMb * 1024L * 1024L);
        });
        services.AddSingleton<SqliteFlashSaleStore>();
        services.AddSingleton<IFlashSaleStore>(sp => sp.GetRequiredService<SqliteFlashSaleStore>());
        services.AddSingleton<IInProcessLedger, SqliteInProcessLedger>();
        services.AddSingleton<FlashSale.Core.Notifications.INotificationOutbox, SqliteNotificationOutbox>();
        services.AddSingleton<InProcessOrderQueue>();
        services.AddSingleton<IOrderQueuePublisher>(sp => sp.GetRequiredService<InProcessOrderQueue>());
        services.AddSingleton<InProcessStockGate>();
        services.AddSingleton<IStockGate>(sp => sp.GetRequiredService<InProcessStockGate>());
        services.AddHostedService<InProcessOrderConsumer>();
        services.AddSingleton<IWorkerIdSource, SingleProcessWorkerId>();

        services.AddGatewayState<InMemoryRateWindow, InMemoryOnceStore, InMemoryRiskSignals, InMemoryBlacklist, LocalFunnelStore>();

        services.AddSingleton<SqliteSaleAudit>();
        services.AddSingleton<IStoreAudit>(sp => sp.GetRequiredService<SqliteSaleAudit>());
        services.AddSingleton<IReconciliationReports>(sp => sp.GetRequiredService<SqliteSaleAudit>());
        services.AddSingleton<IGateAudit, InProcessGateAudit>();
        services.AddSingleton<IQueueAudit, InProcessQueueAudit>();

        services.AddHealthChecks().AddCheck<StoreHealthCheck>("sqlite");
        return builder;
    }
}
