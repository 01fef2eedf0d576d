using FlashSale.Core.Hosting;
using FlashSale.Server.Apis;
using FlashSale.Server.Metrics;
using FlashSale.Postgres;
using FlashSale.RabbitMq;
using FlashSale.Redis;
using FlashSale.Sqlite;

namespace FlashSale.Server.Hosting;

/// <summary>The whole server, in the order it is put together: the table of contents of FlashSale.</summary>
public static class FlashSaleApp
{
    /// <summary>
    /// Builds and runs the server until it is stopped; exit code 0, or 2 when the configuration or the
    /// environment cannot work (the message says why). <paramref name="extend"/> lets a host that embeds the
    /// server (the benchmark) add its own services and endpoints.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, IFlashSaleExtension? extend = null)
    {
        try
        {
            var builder = WebApplication.CreateBuilder(args);
            var options = builder.AddFlashSaleOptions();
            builder.AddFlashSaleTelemetry();
            builder.AddFlashSaleAuthentication();
            builder.LimitRequestBodies();
            builder.AddFlashSaleAdapters(options);
            builder.AddPurchaseFunnel();
            builder.AddOrderPipeline(options);
            builder.AddOrderLifecycle(options);
            builder.AddOrderNotifications(options);
            builder.AddReconciliation(options);
            builder.AddFlashSaleMetrics(options);
            builder.AddFlashSaleOpenApi();
            extend?.AddServices(builder);

            await using var app = builder.Build();
            app.UseSecurityHeaders();
            app.UseFlashSaleErrors();
            app.UseForwardedHeaders();
            app.UseAuthentication();
            app.UseAuthorization();
            app.UseOpenApiDocumentCache();
            app.MapFlashSaleApis(options);
            app.MapMetrics(options);
            extend?.MapEndpoints(app);

            await app.RunAsync();
            return 0;
        }
        catch (Exception ex) when (StartupErrors.IsExplained(ex))
        {
            await Console.Error.WriteLineAsync($"FlashSale cannot start: {ex.Message}");
            return 2;
        }
    }

    /// <summary>The adapters of the configured mode: each registers itself, its options and its health check.</summary>
    public static WebApplicationBuilder AddFlashSaleAdapters(this WebApplicationBuilder builder, FlashSaleOptions options)
    {
        if (options.Mode == FlashSaleMode.Embedded)
        {
            builder.AddEmbeddedStore();
            return builder;
        }
        builder.AddRedisGate();
        builder.AddRabbitMqOrderQueue(consume: options.Runs(ProcessRoles.Worker));
        builder.AddPostgresStore();
        return builder;
    }
}

/// <summary>What a host embedding the server adds to it (the benchmark's baseline gates and endpoints).</summary>
public interface IFlashSaleExtension
{
    void AddServices(WebApplicationBuilder builder);

    void MapEndpoints(WebApplication app);
}
