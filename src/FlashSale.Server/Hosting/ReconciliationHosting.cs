using FlashSale.Core.Embedded;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Reconciliation;
using FlashSale.Postgres;
using FlashSale.RabbitMq;
using FlashSale.Redis;
using FlashSale.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlashSale.Server.Hosting;

public static class ReconciliationHosting
{
    /// <summary>
    /// The reconciler over the configured mode's read-only views; the periodic run in the worker role
    /// (always in embedded mode) unless <paramref name="periodic"/> is false (the command line).
    /// </summary>
    public static WebApplicationBuilder AddReconciliation(this WebApplicationBuilder builder, bool periodic = true)
    {
        builder.Services.AddOptions<ReconciliationOptions>().BindConfiguration(ReconciliationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = new FlashSaleOptions();
        builder.Configuration.GetSection(FlashSaleOptions.Section).Bind(options);
        if (options.IsEmbedded)
        {
            builder.Services.AddSingleton<SqliteSaleAudit>();
            builder.Services.AddSingleton<IStoreAudit>(sp => sp.GetRequiredService<SqliteSaleAudit>());
            builder.Services.AddSingleton<IReconciliationReports>(sp => sp.GetRequiredService<SqliteSaleAudit>());
            builder.Services.AddSingleton<IGateAudit>(sp => new InProcessGateAudit((InProcessStockGate)sp.GetRequiredService<IStockGate>(), sp.GetRequiredService<IInProcessLedger>()));
            builder.Services.AddSingleton<IQueueAudit, InProcessQueueAudit>();
        }
        else
        {
            builder.Services.AddSingleton<PostgresSaleAudit>();
            builder.Services.AddSingleton<IStoreAudit>(sp => sp.GetRequiredService<PostgresSaleAudit>());
            builder.Services.AddSingleton<IReconciliationReports>(sp => sp.GetRequiredService<PostgresSaleAudit>());
            builder.Services.AddSingleton<IGateAudit, RedisSaleAudit>();
            builder.Services.AddSingleton<IQueueAudit, RabbitMqQueueAudit>();
        }
        builder.Services.TryAddSingleton<GateLoader>();
        builder.Services.AddSingleton<SaleReconciler>();
        var reconciliation = new ReconciliationOptions();
        builder.Configuration.GetSection(ReconciliationOptions.Section).Bind(reconciliation);
        if (periodic && reconciliation.Periodic && (options.IsEmbedded || options.HasRole("worker"))) builder.Services.AddHostedService<ReconciliationWorker>();
        return builder;
    }
}
