namespace FlashSale.Core.Purchasing;

/// <summary>The API's problem <c>code</c> for each refusal, used by the HTTP answers and the funnel counters alike.</summary>
public static class GateOutcomeCodes
{
    public static string Of(GateOutcome outcome) => outcome switch
    {
        GateOutcome.Accepted or GateOutcome.Replayed => "accepted",
        GateOutcome.LimitExceeded => "limit_exceeded",
        GateOutcome.SoldOut => "sold_out",
        GateOutcome.NotStarted => "not_started",
        GateOutcome.Ended => "ended",
        GateOutcome.UnknownSale => "sale_not_found",
        GateOutcome.Invalid => "invalid_request",
        GateOutcome.Busy => "busy",
        _ => "unavailable",
    };
}
