using System.Diagnostics;
using FlashSale.Core.Gateway;
using FlashSale.Core.Ids;
using FlashSale.Core.Sales;
using FlashSale.Core.Telemetry;

namespace FlashSale.Core.Purchasing;

/// <summary>
/// Where a purchase is decided, after authentication, layer by layer (<see cref="FunnelLayer"/>): the
/// gateway (who is asking), the local sale state (no remote call), admission into the sale's queue,
/// then the gate's batched atomic decision (<see cref="IStockGate"/>). The endpoint only translates HTTP.
/// </summary>
public sealed class PurchaseFunnel(
    SaleCatalog catalog,
    PurchaseGateway gateway,
    PurchaseAdmission admission,
    GateLoader loader,
    SnowflakeIdGenerator ids,
    FunnelCounters funnelCounters,
    TimeProvider time,
    PurchaseMetrics? metrics = null)
{
    private static readonly string Accepted = GateOutcomeCodes.Of(GateOutcome.Accepted);

    /// <summary>Decides one purchase; counts its answer and its time (<see cref="PurchaseMetrics"/>).</summary>
    public async ValueTask<PurchaseAnswer> PurchaseAsync(PurchaseAttempt attempt, CancellationToken cancellationToken)
    {
        // Null without a listener (PurchaseTracing): then nothing below allocates for tracing.
        using var span = PurchaseTracing.Source.StartActivity(PurchaseTracing.Purchase);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        // Where an unreachable server stopped the purchase, for the answer's layer label: the catalog, the gateway's
        // shared state (limits, blacklist, tokens) or the gate (its loader; a failed gate call is answered, not thrown).
        var stage = UnavailableAt.Catalog;
        PurchaseAnswer answer;
        try
        {
            var sale = await catalog.FindAsync(attempt.SaleId, cancellationToken).ConfigureAwait(false);
            if (sale is null)
            {
                metrics?.Answered(PurchaseRefusal.SaleNotFound.Code, FunnelNames.Of(FunnelLayer.SaleState));
                answer = new PurchaseAnswer(0, PurchaseRefusal.SaleNotFound);
            }
            else
            {
                stage = UnavailableAt.Gateway;
                PurchaseRefusal? refusal;
                using (var gatewaySpan = PurchaseTracing.Source.StartActivity(PurchaseTracing.Gateway))
                {
                    refusal = await gateway.CheckAsync(sale, attempt.Caller, attempt.RequestId, attempt.Token, cancellationToken).ConfigureAwait(false);
                    PurchaseTracing.Refused(gatewaySpan, refusal);
                }
                if (refusal is not null)
                {
                    answer = new PurchaseAnswer(0, refusal);
                }
                else
                {
                    stage = UnavailableAt.Gate;
                    var decision = await DecideAsync(sale, attempt.Caller.UserId, attempt.Quantity, attempt.RequestId, cancellationToken).ConfigureAwait(false);
                    answer = decision.IsAccepted ? new PurchaseAnswer(decision.OrderId, null) : new PurchaseAnswer(0, PurchaseRefusal.For(decision.Outcome));
                }
            }
        }
        catch (GateUnavailableException)
        {
            // Thrown before the layer that would have counted it.
            metrics?.Answered(PurchaseRefusal.Unavailable.Code, stage);
            answer = new PurchaseAnswer(0, PurchaseRefusal.Unavailable);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Anything else (a store that cannot be reached, a bug) leaves for the HTTP error handling (503 or 500):
            // counted as an error where it was met, never lost from the count.
            metrics?.Answered(Error, stage);
            metrics?.Took(Error, started);
            PurchaseTracing.Failed(span, ex);
            throw;
        }
        metrics?.Took(answer.Refusal?.Code ?? Accepted, started);
        return PurchaseTracing.Answered(span, attempt.SaleId, answer);
    }

    /// <summary>The answer code of a purchase that ended in an exception (the HTTP layer answered it 503 or 500).</summary>
    public const string Error = "error";

    private static class UnavailableAt
    {
        public const string Catalog = "catalog", Gateway = "gateway", Gate = "gate";
    }

    /// <summary>The layers after the gateway: sale state, admission, gate.</summary>
    private async ValueTask<GateDecision> DecideAsync(Sale sale, string userId, int quantity, string requestId, CancellationToken cancellationToken)
    {
        var funnel = funnelCounters.For(sale.Id);
        funnel.Arrived(FunnelLayer.SaleState);
        var local = LocalAnswer(sale, userId, quantity, requestId);
        if (local is { IsAccepted: true } replayed)
        {
            // A retry of an accepted request during sold-out: its 202 again, straight from this process.
            funnel.Passed(FunnelLayer.SaleState);
            funnel.Arrived(FunnelLayer.Admission);
            funnel.Passed(FunnelLayer.Admission);
            funnel.Arrived(FunnelLayer.Gate);
            funnel.Passed(FunnelLayer.Gate);
            return replayed;
        }
        if (local is { } refused)
        {
            funnel.Stopped(FunnelLayer.SaleState, GateOutcomeCodes.Of(refused.Outcome));
            return refused;
        }
        funnel.Passed(FunnelLayer.SaleState);

        funnel.Arrived(FunnelLayer.Admission);
        // From joining the sale's queue to the gate's answer (a rebuild of the gate included); the batch's span links to it.
        using var span = PurchaseTracing.Source.StartActivity(PurchaseTracing.Admission);
        var decision = await AdmitAsync(sale.Id, userId, quantity, requestId, span).ConfigureAwait(false);
        if (decision.Outcome == GateOutcome.UnknownSale && sale.WindowAt(time.GetUtcNow()) == SaleWindow.Ended)
        {
            // Past its retention the gate forgets an ended sale: nothing more can be sold, so nothing is rebuilt
            // (that would read every order of the sale per late request); its orders stay in the database.
            decision = new GateDecision(GateOutcome.Ended, 0, -1);
        }
        else if (decision.Outcome == GateOutcome.UnknownSale)
        {
            // The gate lost or never had this sale: rebuild it from the database plus the intents the gate
            // kept, then ask once more. A gate that lost those intents too stays closed.
            var load = await loader.LoadAsync(sale.Id, GateLoadMode.Normal, cancellationToken).ConfigureAwait(false);
            decision = load == GateLoad.StateLost
                ? GateDecision.Unavailable
                : await AdmitAsync(sale.Id, userId, quantity, requestId, span).ConfigureAwait(false);
        }
        if (decision.Outcome == GateOutcome.Busy)
        {
            funnel.Stopped(FunnelLayer.Admission, GateOutcomeCodes.Of(decision.Outcome));
            return decision;
        }
        funnel.Passed(FunnelLayer.Admission);

        funnel.Arrived(FunnelLayer.Gate);
        if (decision.IsAccepted) funnel.Passed(FunnelLayer.Gate);
        else funnel.Stopped(FunnelLayer.Gate, GateOutcomeCodes.Of(decision.Outcome));
        return decision;
    }

    /// <summary>What this process can answer alone (no remote call), or null when the gate must decide.</summary>
    private GateDecision? LocalAnswer(Sale sale, string userId, int quantity, string requestId)
    {
        if (quantity < 1 || quantity > sale.PerUserLimit) return new GateDecision(GateOutcome.Invalid, 0, -1);
        return sale.WindowAt(time.GetUtcNow()) switch
        {
            SaleWindow.Upcoming => new GateDecision(GateOutcome.NotStarted, 0, -1),
            // A retry of a request accepted before the end still gets its order: only the gate (or this
            // process's copy of the sale's winners) can tell, so the local clock never answers "ended" alone.
            SaleWindow.Ended => admission.AnswerFromClosedFlag(sale.Id, userId, requestId, GateOutcome.Ended),
            _ => admission.AnswerFromClosedFlag(sale.Id, userId, requestId),
        };
    }

    private ValueTask<GateDecision> AdmitAsync(long saleId, string userId, int quantity, string requestId, Activity? span)
    {
        var request = new PurchaseRequest(userId, requestId, quantity, ids.NextId(), span);
        return admission.TryEnqueue(saleId, request, out var decision)
            ? decision
            : ValueTask.FromResult(new GateDecision(GateOutcome.Busy, 0, -1));
    }
}
