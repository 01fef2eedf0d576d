using FlashSale.Core.Gateway;
using FlashSale.Core.Hosting;
using FlashSale.Core.Storage;
using FlashSale.Redis;
using FlashSale.Server.Hosting;
using FlashSale.Sqlite;
using Microsoft.AspNetCore.Http.Features;

namespace FlashSale.Server.Http;

public static class ErrorHandling
{
    private static readonly ProblemResult StoreUnavailable = new(503, "unavailable", "Unavailable", "The database cannot be written right now; nothing was changed. Try again.", retryAfterSeconds: 1);
    internal static readonly ProblemResult CaptchaUnavailable = new(503, "captcha_unavailable", "Captcha unavailable",
        "The captcha provider cannot answer right now; nothing was changed. Ask for a new challenge shortly.", retryAfterSeconds: 2);
    internal static readonly ProblemResult Internal = new(500, "internal_error", "Internal error", "Something went wrong on our side; nothing was changed.");

    /// <summary>
    /// Unhandled failures still answer problem+json: a request the server refused while reading it (too large, broken
    /// framing, too slow: <see cref="BadHttpRequestException"/>) its own 4xx, logged at debug only (the client's fault);
    /// else 503 when a dependency (a store, the gate, the captcha provider) is down, or 500.
    /// </summary>
    public static WebApplication UseFlashSaleErrors(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
            {
                app.Logger.LogDebug(ex, "{Method} {Path} refused while reading the request: {Status}", context.Request.Method, context.Request.Path, ex.StatusCode);
                context.Response.Clear();
                SecurityHeaders.Apply(context.Response);
                await Problems.ForBadRequest(ex, context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize).ExecuteAsync(context);
            }
            catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                var answer = ex switch
                {
                    CaptchaUnavailableException => CaptchaUnavailable,
                    StoreUnavailableException or GateUnavailableException or Npgsql.NpgsqlException { IsTransient: true } => StoreUnavailable,
                    _ => Internal,
                };
                app.Logger.LogError(ex, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                context.Response.Clear();
                SecurityHeaders.Apply(context.Response);
                await answer.ExecuteAsync(context);
            }
        });
        return app;
    }
}

public static class StartupErrors
{
    /// <summary>Failures whose message already tells the operator what is wrong and what to do.</summary>
    public static bool IsExplained(Exception ex) =>
        ex is SqliteStartupException or OptionsValidationException or FlashSaleConfigurationException or WorkerIdUnavailableException;
}
