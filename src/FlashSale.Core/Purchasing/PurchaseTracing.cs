using System.Diagnostics;
using System.Globalization;

namespace FlashSale.Core.Purchasing;

/// <summary>
/// The purchase path's spans (<see cref="SourceName"/>). With no listener on the source every <c>StartActivity</c> answers
/// null and nothing here allocates: tags and links are built only for a span that exists and records.
/// <list type="bullet">
/// <item><see cref="Purchase"/>: one purchase through the funnel, a child of the HTTP request's span.</item>
/// <item><see cref="Gateway"/> and <see cref="Admission"/>: its children; the admission span lasts from the purchase joining
/// the sale's queue until its batch's answer, and links to the <see cref="GateDecide"/> span that decided it.</item>
/// <item><see cref="GateDecide"/>: one gate call for a whole batch, a root of its own (it serves many purchases, each in
/// its own trace) linking to the admission span of every purchase in the batch.</item>
/// </list>
/// </summary>
public static class PurchaseTracing
{
    public const string SourceName = "FlashSale.Purchasing";

    public const string Purchase = "purchase";
    public const string Gateway = "purchase.gateway";
    public const string Admission = "purchase.admission";
    public const string GateDecide = "gate.decide";

    public const string SaleIdTag = "flashsale.sale_id";
    public const string OutcomeTag = "flashsale.outcome";
    public const string OrderIdTag = "flashsale.order_id";
    public const string BatchSizeTag = "flashsale.batch.size";
    public const string AcceptedTag = "flashsale.batch.accepted";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Records the funnel's answer on the purchase span (when it records) and returns the answer.</summary>
    internal static PurchaseAnswer Answered(Activity? span, long saleId, PurchaseAnswer answer)
    {
        if (span is not { IsAllDataRequested: true }) return answer;
        span.SetTag(SaleIdTag, saleId);
        span.SetTag(OutcomeTag, answer.Refusal?.Code ?? "accepted");
        if (answer.IsAccepted) span.SetTag(OrderIdTag, answer.OrderId.ToString(CultureInfo.InvariantCulture));
        // A refusal is an answer, not a failure; only "unavailable" (the gate could not decide) is one.
        if (ReferenceEquals(answer.Refusal, PurchaseRefusal.Unavailable)) span.SetStatus(ActivityStatusCode.Error, "the gate could not decide");
        return answer;
    }

    /// <summary>Records a layer's refusal on its span (when it records).</summary>
    internal static void Refused(Activity? span, PurchaseRefusal? refusal)
    {
        if (refusal is not null && span is { IsAllDataRequested: true }) span.SetTag(OutcomeTag, refusal.Code);
    }

    /// <summary>
    /// The span of one gate call, started only when the source has listeners: it links to the admission span of each purchase
    /// in the batch, and each of those gets a link back to it. Returns null (having built nothing) otherwise.
    /// </summary>
    internal static Activity? StartGateDecide(long saleId, ReadOnlySpan<PurchaseRequest> requests)
    {
        if (!Source.HasListeners()) return null;
        List<ActivityLink>? links = null;
        foreach (ref readonly var request in requests)
        {
            if (request.Span is { } purchase) (links ??= new List<ActivityLink>(requests.Length)).Add(new ActivityLink(purchase.Context));
        }
        // The batchers run outside any request (their lanes start without the first caller's context): this is a root.
        var span = Source.StartActivity(GateDecide, ActivityKind.Client, default(ActivityContext), links: links);
        if (span is null) return null;
        if (span.IsAllDataRequested)
        {
            span.SetTag(SaleIdTag, saleId);
            span.SetTag(BatchSizeTag, requests.Length);
        }
        var back = new ActivityLink(span.Context);
        foreach (ref readonly var request in requests)
        {
            // The purchase's admission span is waiting for this batch's answer (its ticket completes only after this):
            // adding the link now is the only write to it meanwhile.
            request.Span?.AddLink(back);
        }
        return span;
    }

    /// <summary>Records what the gate answered for the batch on its span (when it records).</summary>
    internal static void Decided(Activity? span, ReadOnlySpan<GateDecision> decisions)
    {
        if (span is not { IsAllDataRequested: true }) return;
        var accepted = 0;
        foreach (var decision in decisions) if (decision.Outcome == GateOutcome.Accepted) accepted++;
        span.SetTag(AcceptedTag, accepted);
    }

    /// <summary>Marks a span failed with the exception's message; false, so that it can stand in an exception filter.</summary>
    public static bool Failed(Activity? span, Exception exception)
    {
        span?.SetStatus(ActivityStatusCode.Error, exception.Message);
        return false;
    }
}
