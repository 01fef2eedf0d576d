using FlashSale.Core.Reconciliation;
using FlashSale.Core.Storage;

namespace FlashSale.Server.Apis;

/// <summary>Admin: reconcile a sale on demand, and read its last report.</summary>
public static class ReconciliationApi
{
    internal static async Task<Results<Ok<ReconciliationReport>, ProblemResult>> ReconcileAsync(
        string saleId, bool? repair, SaleReconciler reconciler, CancellationToken cancellationToken)
    {
        if (!long.TryParse(saleId, out var id)) return Problems.SaleNotFound;
        try
        {
            var report = await reconciler.ReconcileAsync(id, repair ?? false, cancellationToken);
            return report is null ? Problems.SaleNotFound : TypedResults.Ok(report);
        }
        catch (Exception ex) when (ex is GateUnavailableException or StoreUnavailableException)
        {
            return Problems.Unavailable;
        }
    }

    internal static async Task<Results<Ok<ReconciliationReport>, ProblemResult>> LastReportAsync(
        string saleId, IReconciliationReports reports, CancellationToken cancellationToken)
    {
        if (!long.TryParse(saleId, out var id)) return Problems.ReconciliationNotFound;
        return await reports.FindAsync(id, cancellationToken) is { } report ? TypedResults.Ok(report) : Problems.ReconciliationNotFound;
    }
}
