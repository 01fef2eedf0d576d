namespace FlashSale.Core.Purchasing;

/// <summary>
/// The gate's rules for one request whose requestId is new, in the one order every C# gate applies them
/// (decide.lua holds the same rules for Redis): window, quantity, the user's total, then stock.
/// </summary>
public static class GateRules
{
    public static GateOutcome Decide(long nowMs, long startsMs, long endsMs, int perUserLimit, long remaining, long userTotal, int quantity)
    {
        if (nowMs < startsMs) return GateOutcome.NotStarted;
        if (nowMs >= endsMs) return GateOutcome.Ended;
        if (quantity < 1 || quantity > perUserLimit) return GateOutcome.Invalid;
        if (userTotal + quantity > perUserLimit) return GateOutcome.LimitExceeded;
        if (remaining < quantity) return GateOutcome.SoldOut;
        return GateOutcome.Accepted;
    }
}
