using FlashSale.Server.Hosting;

// FlashSale: one binary, roles api and/or worker (FlashSale:Roles). The request path is described in
// docs/architecture.md; a purchase is decided in FlashSale.Core/Purchasing/PurchaseFunnel.cs.
var builder = WebApplication.CreateBuilder(args);

builder.AddFlashSaleOptions();
builder.AddFlashSaleAuthentication();
builder.AddDistributedAdapters();
builder.AddPurchaseFunnel();
builder.AddOrderPipeline();

var app = builder.Build();

app.UseAuthentication();
app.UseAuthorization();
app.MapFlashSaleApis();

await app.InitializeFlashSaleAsync();
await app.RunAsync();

/// <summary>Visible to WebApplicationFactory in tests.</summary>
public partial class Program;
