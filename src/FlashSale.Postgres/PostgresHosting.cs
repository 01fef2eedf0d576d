using FlashSale.Core.Hosting;
using FlashSale.Core.Orders;
using FlashSale.Core.Reconciliation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace FlashSale.Postgres;

public static class PostgresHosting
{
    /// <summary>PostgreSQL as the system of record, its reconciliation view and the "postgres" health check. ConnectionStrings:Postgres.</summary>
    public static IHostApplicationBuilder AddPostgresStore(this IHostApplicationBuilder builder)
    {
        var connectionString = ConnectionStrings.Required(builder.Configuration, "Postgres");
        var services = builder.Services;
        services.AddSingleton(_ => WithDeadlines(new NpgsqlDataSourceBuilder(connectionString)).Build());
        services.AddSingleton<IFlashSaleStore, PostgresFlashSaleStore>();
        services.AddSingleton<FlashSale.Core.Notifications.INotificationOutbox, PostgresNotificationOutbox>();
        services.AddSingleton<PostgresSaleAudit>();
        services.AddSingleton<IStoreAudit>(sp => sp.GetRequiredService<PostgresSaleAudit>());
        services.AddSingleton<IReconciliationReports>(sp => sp.GetRequiredService<PostgresSaleAudit>());
        services.AddHealthChecks().AddCheck<StoreHealthCheck>("postgres");
        return builder;
    }

    /// <summary>
    /// Deadlines and keep-alives where the connection string leaves Npgsql's defaults (no keep-alive, 15 s to
    /// connect, 30 s per command): no call waits forever on a half-open connection.
    /// </summary>
    private static NpgsqlDataSourceBuilder WithDeadlines(NpgsqlDataSourceBuilder builder)
    {
        var settings = builder.ConnectionStringBuilder;
        if (settings.Timeout == 15) settings.Timeout = 5;
        if (settings.CommandTimeout == 30) settings.CommandTimeout = 10;
        if (settings.KeepAlive == 0) settings.KeepAlive = 5;
        if (!settings.TcpKeepAlive) settings.TcpKeepAlive = true;
        return builder;
    }
}
