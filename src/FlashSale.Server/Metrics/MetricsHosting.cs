using System.Text;
using FlashSale.Core.Telemetry;
using FlashSale.Server.Apis;
using FlashSale.Server.Hosting;

namespace FlashSale.Server.Metrics;

/// <summary>The meters of every area, the sampler of the costly gauges, and <c>GET /metrics</c>.</summary>
public static class MetricsHosting
{
    public const string Path = "/metrics";
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static WebApplicationBuilder AddFlashSaleMetrics(this WebApplicationBuilder builder, FlashSaleOptions options)
    {
        var services = builder.Services;
        services.AddMetrics();
        services.AddSingleton<PurchaseMetrics>();
        services.AddSingleton<GateMetrics>();
        services.AddSingleton<PipelineMetrics>();
        services.AddSingleton<OrderMetrics>();
        services.AddSingleton<ReconciliationMetrics>();
        services.AddSingleton<MetricsCollector>();
        services.AddSingleton(sp => new MetricsSampler(sp, sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            options.Metrics.SampleInterval, sp.GetRequiredService<ILogger<MetricsSampler>>(), sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService(sp => sp.GetRequiredService<MetricsSampler>());
        return builder;
    }

    /// <summary><c>GET /metrics</c>, in every role; the admin key unless <c>FlashSale:Metrics:RequireAdminKey</c> is false.</summary>
    public static WebApplication MapMetrics(this WebApplication app, FlashSaleOptions options)
    {
        // The collector listens from the start, so counters count from the first request, not the first scrape.
        app.Services.GetRequiredService<MetricsCollector>();
        // Described at /openapi/v1.json with the API (the key as X-Admin-Key there; Prometheus sends it as a bearer token).
        var endpoint = app.MapGet(Path, Scrape).Produces<string>(StatusCodes.Status200OK, ContentType).WithTags("Operations");
        if (options.Metrics.RequireAdminKey) endpoint.AddEndpointFilter(RequireScrapeKey).WithAdminKey().Refuses(AdminApi.KeyProblems);
        return app;
    }

    private static IResult Scrape(MetricsCollector collector)
    {
        var text = new StringBuilder(16 * 1024);
        collector.WriteTo(text);
        return Results.Text(text.ToString(), ContentType, Encoding.UTF8);
    }

    /// <summary>The admin key as Prometheus sends it (<c>Authorization: Bearer</c>) or as the admin API takes it (<c>X-Admin-Key</c>).</summary>
    private static ValueTask<object?> RequireScrapeKey(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        // X-Admin-Key first: a browser signed in as a buyer sends its own bearer token beside it.
        var key = http.Request.Headers[AdminApi.AdminKeyHeader].ToString();
        var authorization = http.Request.Headers.Authorization.ToString();
        if (key.Length == 0 && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) key = authorization["Bearer ".Length..].Trim();
        return AdminApi.AdmitOrRefuse(http.RequestServices.GetRequiredService<AdminGuard>().Check(http, key, out var retryAfter), retryAfter, context, next);
    }
}
