using FlashSale.Core.Payments;
using FlashSale.Server.Hosting;

namespace FlashSale.Server.Apis;

/// <summary>Every route of the server, grouped by who may call it; the handlers and their contracts live in one file per feature.</summary>
public static class FlashSaleApis
{
    public static WebApplication MapFlashSaleApis(this WebApplication app, FlashSaleOptions options)
    {
        app.MapHealthChecks("/health/live", HealthApi.Live);
        app.MapHealthChecks("/health/ready", HealthApi.Ready);
        if (!options.Runs(ProcessRoles.Api)) return app;

        // The sale page, the admin view and their fingerprinted assets, served from the binary.
        app.MapGet("/", () => Results.Redirect("/admin")).ExcludeFromDescription();
        app.MapGet("/sales/{saleId}", (StaticPages pages) => pages.Page("sale.html"));
        app.MapGet("/admin", (StaticPages pages) => pages.Page("admin.html"));
        app.MapGet("/assets/{file}", (string file, StaticPages pages) => pages.Asset(file));

        var api = app.MapGroup("/api");
        api.MapGet("/time", SalesApi.Time);
        api.MapGet("/sales/{saleId}", SalesApi.GetSaleAsync);
        api.MapPost("/payments/webhook", PaymentsApi.WebhookAsync) // the provider's call: signed, not signed in
            .WithBodyLimit(PaymentEvent.MaxBodyBytes);
        if (app.Services.GetRequiredService<IOptions<FlashSaleOptions>>().Value.Auth.DevTokens == true) api.MapPost("/dev/token", DevApi.IssueAsync);

        var buyer = api.MapGroup("").RequireAuthorization();
        buyer.MapPost("/sales/{saleId}/challenge", GatewayApi.ChallengeAsync);
        buyer.MapPost("/sales/{saleId}/token", GatewayApi.TokenAsync);
        buyer.MapPost("/sales/{saleId}/purchase", PurchaseApi.PurchaseAsync);
        buyer.MapGet("/orders/{orderId}", OrdersApi.GetOrderAsync);
        buyer.MapGet("/orders/{orderId}/events", OrderEventsApi.StreamAsync);
        buyer.MapPost("/orders/{orderId}/pay", PaymentsApi.PayAsync);
        buyer.MapPost("/orders/{orderId}/cancel", PaymentsApi.CancelAsync);
        buyer.MapGet("/sales/{saleId}/orders/mine", OrdersApi.GetMyOrdersAsync);

        var admin = api.MapGroup("/admin").AddEndpointFilter(AdminApi.RequireAdminKey);
        admin.MapPost("/sales", AdminApi.CreateSaleAsync);
        admin.MapGet("/sales/{saleId}/stats", AdminApi.GetStatsAsync);
        admin.MapGet("/sales/{saleId}/funnel", AdminApi.GetFunnelAsync);
        admin.MapPost("/orders/{orderId}/cancel", PaymentsApi.AdminCancelAsync);
        admin.MapPost("/sales/{saleId}/reconcile", ReconciliationApi.ReconcileAsync);
        admin.MapGet("/sales/{saleId}/reconciliation", ReconciliationApi.LastReportAsync);
        admin.MapGet("/blacklist", BlacklistApi.ListAsync);
        admin.MapPost("/blacklist", BlacklistApi.AddAsync);
        admin.MapDelete("/blacklist/{kind}/{value}", BlacklistApi.RemoveAsync);
        return app;
    }
}
