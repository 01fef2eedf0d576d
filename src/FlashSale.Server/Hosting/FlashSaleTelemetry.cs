using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FlashSale.Server.Hosting;

/// <summary>What the server tells operators besides its answers: its log format, and traces and metrics over OTLP.</summary>
public static class FlashSaleTelemetry
{
    /// <summary>The standard OpenTelemetry settings read here (environment variables or any other configuration source).</summary>
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string ServiceNameKey = "OTEL_SERVICE_NAME";
    public const string DefaultServiceName = "flashsale";

    /// <summary>The FlashSale sources and meters (FlashSale.Purchasing, FlashSale.Pipeline, ...).</summary>
    public const string FlashSaleNames = "FlashSale.*";

    /// <summary>
    /// Logs: outside Development one JSON object per line on the console, with scopes, so that a line written while a span
    /// is current carries its TraceId and SpanId (Development keeps the readable console; <c>Logging:Console:FormatterName</c>
    /// chooses another format anywhere). Traces and metrics: exported over OTLP only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// is set, with the standard OTEL_* settings (protocol, headers, intervals); unset, nothing of OpenTelemetry is
    /// registered, no source has a listener and the spans cost nothing.
    /// </summary>
    public static WebApplicationBuilder AddFlashSaleTelemetry(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        if (!builder.Environment.IsDevelopment() && string.IsNullOrEmpty(configuration["Logging:Console:FormatterName"]))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                // Valid JSON still (quotes, backslashes and control characters escaped), but a user id like 张三 stays readable.
                o.JsonWriterOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            });
        }

        if (string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey])) return builder;
        var serviceName = configuration[ServiceNameKey] is { Length: > 0 } name ? name : DefaultServiceName;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                .AddSource(FlashSaleNames)
                // ASP.NET Core's own request span: the parent of each purchase span.
                .AddSource("Microsoft.AspNetCore")
                .AddOtlpExporter())
            .WithMetrics(metrics => metrics
                .AddMeter(FlashSaleNames, "Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Runtime", "Npgsql")
                .AddOtlpExporter());
        builder.Services.AddSingleton<IStartupFilter, RequestSpanNames>();
        return builder;
    }

    /// <summary>
    /// Names ASP.NET Core's request span after its route, as OpenTelemetry's HTTP conventions do ("POST
    /// /api/sales/{saleId}/purchase", with method, route, path and status attributes): the span alone is only
    /// "Microsoft.AspNetCore.Hosting.HttpRequestIn". Registered with the exporter only.
    /// </summary>
    private sealed class RequestSpanNames : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                try
                {
                    await nextMiddleware(context);
                }
                finally
                {
                    Name(context);
                }
            });
            next(app);
        };

        private static void Name(HttpContext context)
        {
            if (context.Features.Get<IHttpActivityFeature>()?.Activity is not { IsAllDataRequested: true } span) return;
            var method = context.Request.Method;
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
            span.DisplayName = route is null ? method : $"{method} {route}";
            span.SetTag("http.request.method", method);
            if (route is not null) span.SetTag("http.route", route);
            span.SetTag("url.path", context.Request.Path.Value);
            span.SetTag("http.response.status_code", context.Response.StatusCode);
            if (context.Response.StatusCode >= 500) span.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
        }
    }
}
