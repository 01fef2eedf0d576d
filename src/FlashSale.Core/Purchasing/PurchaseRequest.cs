using System.Diagnostics;

namespace FlashSale.Core.Purchasing;

/// <summary>One purchase attempt that passed the local checks, on its way to the stock gate.</summary>
/// <param name="CandidateOrderId">The order id used if, and only if, the gate accepts a new purchase.</param>
/// <param name="Span">The purchase's admission span while it is traced (<see cref="PurchaseTracing"/>), else null: the gate's
/// batch span links to it, and a gate that keeps a ledger may keep its context with the intent.</param>
public readonly record struct PurchaseRequest(string UserId, string RequestId, int Quantity, long CandidateOrderId, Activity? Span = null);

public enum GateOutcome : byte
{
    Accepted = 0,
    /// <summary>The requestId was accepted before; <see cref="GateDecision.OrderId"/> is the earlier order.</summary>
    Replayed = 1,
    LimitExceeded = 2,
    SoldOut = 3,
    NotStarted = 4,
    Ended = 5,
    /// <summary>The gate holds no state for this sale (not preheated).</summary>
    UnknownSale = 6,
    /// <summary>The gate could not decide (down, timing out): fail closed.</summary>
    Unavailable = 7,
    /// <summary>The gate refused the request as malformed (quantity above the limit).</summary>
    Invalid = 8,
    /// <summary>Not a gate answer: the admission queue was full, so the gate was never asked.</summary>
    Busy = 9,
}

/// <summary>The gate's answer for one request.</summary>
/// <param name="Remaining">Stock left in the gate after this decision (-1 when unknown).</param>
public readonly record struct GateDecision(GateOutcome Outcome, long OrderId, long Remaining)
{
    public bool IsAccepted => Outcome is GateOutcome.Accepted or GateOutcome.Replayed;
    public static GateDecision Unavailable => new(GateOutcome.Unavailable, 0, -1);
}
