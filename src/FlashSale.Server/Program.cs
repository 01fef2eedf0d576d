using FlashSale.Server.Hosting;

// FlashSale: one binary. FlashSale:Mode picks the adapters (Embedded: in-process gate + SQLite;
// Distributed: Redis + RabbitMQ + PostgreSQL), FlashSale:Roles what a distributed process runs.
// Hosting/FlashSaleApp.cs puts the server together; a purchase is decided in
// FlashSale.Core/Purchasing/PurchaseFunnel.cs; docs/architecture.md has the map.
return args is [ReconcileCommand.Name, .. var reconcileArgs]
    ? await ReconcileCommand.RunAsync(reconcileArgs)
    : await FlashSaleApp.RunAsync(args);

/// <summary>The entry point, public for in-process tests (WebApplicationFactory).</summary>
public partial class Program;
