using FlashSale.Core.Hosting;
using FlashSale.Core.Storage;
using FlashSale.Redis;
using FlashSale.Server.Hosting;
using FlashSale.Sqlite;

namespace FlashSale.Server.Http;

public static class ErrorHandling
{
    private static readonly ProblemResult StoreUnavailable = new(503, "unavailable", "Unavailable", "The database cannot be written right now; nothing was changed. Try again.", retryAfterSeconds: 1);
    private static readonly ProblemResult Internal = new(500, "internal_error", "Internal error", "Something went wrong on our side; nothing was changed.");

    /// <summary>Unhandled failures still answer problem+json: 503 when a dependency is down, else 500.</summary>
    public static WebApplication UseFlashSaleErrors(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                var unavailable = ex is StoreUnavailableException or GateUnavailableException or Npgsql.NpgsqlException { IsTransient: true };
                app.Logger.LogError(ex, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
                context.Response.Clear();
                await (unavailable ? StoreUnavailable : Internal).ExecuteAsync(context);
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
