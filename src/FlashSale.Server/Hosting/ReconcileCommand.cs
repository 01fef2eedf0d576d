using System.Globalization;
using FlashSale.Core.Reconciliation;

namespace FlashSale.Server.Hosting;

/// <summary>
/// <c>FlashSale.Server reconcile &lt;saleId&gt; [--repair] [configuration arguments]</c>: reconciles one sale with the
/// configured adapters, prints the report as JSON and exits 0 (clean or repaired), 1 (needs attention),
/// 2 (bad usage or no such sale) or 3 (the stores cannot be reached or the configuration cannot work).
/// </summary>
public static class ReconcileCommand
{
    public const string Name = "reconcile";

    public static async Task<int> RunAsync(string[] args)
    {
        var rest = args.Where(a => a != "--repair").ToArray();
        if (rest.Length < 1 || !long.TryParse(rest[0], NumberStyles.None, CultureInfo.InvariantCulture, out var saleId))
        {
            await Console.Error.WriteLineAsync("usage: FlashSale.Server reconcile <saleId> [--repair] [--Key=Value ...]");
            return 2;
        }
        var repair = rest.Length != args.Length;
        try
        {
            var builder = WebApplication.CreateBuilder(rest[1..]);
            // Standard output carries the report only.
            builder.Logging.ClearProviders();
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            var options = builder.AddFlashSaleOptions();
            builder.AddFlashSaleAdapters(options);
            builder.AddReconciliation(options); // its periodic run is a hosted service, and this host is never started
            await using var app = builder.Build();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await app.Services.GetRequiredService<IFlashSaleStore>().MigrateAsync(timeout.Token);
            var report = await app.Services.GetRequiredService<SaleReconciler>().ReconcileAsync(saleId, repair, timeout.Token);
            if (report is null)
            {
                await Console.Error.WriteLineAsync($"No sale has the id {saleId}.");
                return 2;
            }
            Console.WriteLine(JsonSerializer.Serialize(report, AppJsonContext.Default.ReconciliationReport));
            return report.Status == ReconciliationStatus.NeedsAttention ? 1 : 0;
        }
        catch (Exception ex) when (StartupErrors.IsExplained(ex))
        {
            await Console.Error.WriteLineAsync($"FlashSale cannot reconcile: {ex.Message}");
            return 3;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"FlashSale cannot reconcile: {ex.GetType().Name}: {ex.Message}");
            return 3;
        }
    }
}
