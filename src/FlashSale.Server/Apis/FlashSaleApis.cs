using FlashSale.Core.Payments;
using FlashSale.Server.Hosting;

namespace FlashSale.Server.Apis;

/// <summary>
/// Every route of the server, grouped by who may call it; the handlers and their contracts live in one file per feature.
/// Each route also says what the API description (<c>GET /openapi/v1.json</c>) cannot learn from its typed results: the
/// body its handler reads (<see cref="ApiDescription.Takes"/>) and the problems it answers (<see cref="ApiDescription.Refuses"/>).
/// </summary>
public static class FlashSaleApis
{
    public static WebApplication MapFlashSaleApis(this WebApplication app, FlashSaleOptions options)
    {
        app.MapHealthChecks("/health/live", HealthApi.Live).DescribedAs<HealthResponse>("Health", "The process answers.", "application/json", 200);
        app.MapHealthChecks("/health/ready", HealthApi.Ready).DescribedAs<HealthResponse>("Health", "Every dependency answers (503 when one does not).", "application/json", 200, 503);
        if (!options.Runs(ProcessRoles.Api)) return app;
        app.MapOpenApi().CachedDocument(); // GET /openapi/v1.json: the API processes' description, public like the API it describes

        // The sale page, the admin view and their fingerprinted assets, served from the binary.
        app.MapGet("/", () => Results.Redirect("/admin")).Produces(StatusCodes.Status302Found).WithTags("Pages");
        app.MapGet("/sales/{saleId}", (StaticPages pages) => pages.Page("sale.html")).Produces<string>(200, "text/html").WithTags("Pages");
        app.MapGet("/admin", (StaticPages pages) => pages.Page("admin.html")).Produces<string>(200, "text/html").WithTags("Pages");
        app.MapGet("/assets/{file}", (string file, StaticPages pages) => pages.Asset(file))
            .Produces<string>(200, "text/javascript", "text/css").Produces(StatusCodes.Status404NotFound).WithTags("Pages");

        var api = app.MapGroup("/api");
        api.MapGet("/time", SalesApi.Time);
        api.MapGet("/sales/{saleId}", SalesApi.GetSaleAsync).WithAdminKey(optional: true).Refuses(Problems.SaleNotFound, Problems.Unavailable);
        api.MapPost("/payments/webhook", PaymentsApi.WebhookAsync) // the provider's call: signed, not signed in
            .WithBodyLimit(PaymentEvent.MaxBodyBytes).Takes<WebhookEvent>().Refuses(PaymentsApi.WebhookProblems);
        if (app.Services.GetRequiredService<IOptions<FlashSaleOptions>>().Value.Auth.DevTokens == true)
            api.MapPost("/dev/token", DevApi.IssueAsync).Takes<DevTokenRequest>();

        var buyer = api.MapGroup("").RequireAuthorization().Refuses(Problems.Unauthorized);
        buyer.MapPost("/sales/{saleId}/challenge", GatewayApi.ChallengeAsync).Refuses(GatewayApi.ChallengeProblems);
        buyer.MapPost("/sales/{saleId}/token", GatewayApi.TokenAsync).Takes<TokenRequest>().Refuses(GatewayApi.TokenProblems);
        buyer.MapPost("/sales/{saleId}/purchase", PurchaseApi.PurchaseAsync).Takes<PurchaseRequestBody>().Refuses(PurchaseApi.PurchaseProblems);
        buyer.MapGet("/orders/{orderId}", OrdersApi.GetOrderAsync).Refuses(Problems.OrderNotFound, Problems.Unavailable);
        buyer.MapGet("/orders/{orderId}/events", OrderEventsApi.StreamAsync).Produces<string>(200, OrderEventsApi.MediaType)
            .Refuses(Problems.OrderNotFound, Problems.StreamsBusy, Problems.Unavailable);
        buyer.MapPost("/orders/{orderId}/pay", PaymentsApi.PayAsync).Takes<PayRequest>(optional: true).Refuses(PaymentsApi.PayProblems);
        buyer.MapPost("/orders/{orderId}/cancel", PaymentsApi.CancelAsync).Refuses(PaymentsApi.CancelProblems);
        buyer.MapGet("/sales/{saleId}/orders/mine", OrdersApi.GetMyOrdersAsync).Refuses(Problems.SaleNotFound, Problems.Unavailable);

        var admin = api.MapGroup("/admin").AddEndpointFilter(AdminApi.RequireAdminKey).WithAdminKey().Refuses(AdminApi.KeyProblems);
        admin.MapPost("/sales", AdminApi.CreateSaleAsync).Takes<CreateSaleRequest>().Refuses(Problems.Unavailable);
        admin.MapGet("/sales/{saleId}/stats", AdminApi.GetStatsAsync).Refuses(Problems.SaleNotFound, Problems.Unavailable);
        admin.MapGet("/sales/{saleId}/funnel", AdminApi.GetFunnelAsync).Refuses(Problems.SaleNotFound, Problems.Unavailable);
        admin.MapPost("/orders/{orderId}/cancel", PaymentsApi.AdminCancelAsync).Refuses(PaymentsApi.CancelProblems);
        admin.MapPost("/sales/{saleId}/reconcile", ReconciliationApi.ReconcileAsync).Refuses(Problems.SaleNotFound, Problems.Unavailable);
        admin.MapGet("/sales/{saleId}/reconciliation", ReconciliationApi.LastReportAsync).Refuses(Problems.ReconciliationNotFound, Problems.Unavailable);
        admin.MapGet("/blacklist", BlacklistApi.ListAsync).Refuses(Problems.Unavailable);
        admin.MapPost("/blacklist", BlacklistApi.AddAsync).Takes<BlacklistRequest>().Refuses(Problems.Unavailable);
        admin.MapDelete("/blacklist/{kind}/{value}", BlacklistApi.RemoveAsync).Refuses(BlacklistApi.RemoveProblems);
        return app;
    }
}
