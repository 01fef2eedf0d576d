using FlashSale.Server.Hosting;
using FlashSale.Server.Http;

// FlashSale: one binary. FlashSale:Mode picks the adapters (Embedded: in-process gate + SQLite;
// Distributed: Redis + RabbitMQ + PostgreSQL), FlashSale:Roles what a distributed process runs.
// A purchase is decided in FlashSale.Core/Purchasing/PurchaseFunnel.cs; docs/architecture.md has the map.
if (args is [ReconcileCommand.Name, .. var reconcileArgs]) return await ReconcileCommand.RunAsync(reconcileArgs);

var builder = WebApplication.CreateBuilder(args);

try
{
    builder.AddFlashSaleOptions();
    builder.AddFlashSaleAuthentication();
    builder.AddFlashSaleAdapters();
    builder.AddPurchaseFunnel();
    builder.AddOrderPipeline();
    builder.AddReconciliation();

    await using var app = builder.Build();

    app.UseFlashSaleErrors();
    app.UseForwardedHeaders();
    app.UseAuthentication();
    app.UseAuthorization();
    app.MapFlashSaleApis();

    await app.InitializeFlashSaleAsync();
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (StartupErrors.IsExplained(ex))
{
    await Console.Error.WriteLineAsync($"FlashSale cannot start: {ex.Message}");
    return 2;
}
