using FlashSale.Core.Gateway;

namespace FlashSale.Core.Purchasing;

/// <summary>One purchase as the endpoint hands it to the funnel, HTTP already translated away.</summary>
/// <param name="Token">The purchase token, where the sale or the risk score asks for one.</param>
public readonly record struct PurchaseAttempt(long SaleId, PurchaseCaller Caller, int Quantity, string RequestId, string? Token);

/// <summary>Who is buying, as the funnel sees it.</summary>
/// <param name="Ip">The client's address, an IPv6 one grouped by its /64.</param>
/// <param name="DeviceId">The <c>X-Device-Id</c> header when valid; null when missing (a risk signal).</param>
/// <param name="AccountCreated">From the token's <c>account_created</c> claim, when the identity provider sets it.</param>
public readonly record struct PurchaseCaller(string UserId, ClientIp Ip, string? DeviceId, DateTimeOffset? AccountCreated);

/// <summary>Why a purchase was refused: the API's problem code and, for throttling, when to come back.</summary>
public sealed record PurchaseRefusal(string Code, TimeSpan? RetryAfter = null)
{
    /// <summary>One refusal per outcome, indexed by the outcome's value.</summary>
    private static readonly PurchaseRefusal[] ByOutcome = IndexByOutcome();

    public static PurchaseRefusal SaleNotFound { get; } = For(GateOutcome.UnknownSale);
    public static PurchaseRefusal Unavailable { get; } = For(GateOutcome.Unavailable);

    /// <summary>The refusal for a gate outcome other than accepted; one shared instance per outcome.</summary>
    public static PurchaseRefusal For(GateOutcome outcome) => ByOutcome[(int)outcome];

    private static PurchaseRefusal[] IndexByOutcome()
    {
        var outcomes = Enum.GetValues<GateOutcome>();
        var byOutcome = new PurchaseRefusal[(int)outcomes.Max() + 1];
        foreach (var outcome in outcomes) byOutcome[(int)outcome] = new PurchaseRefusal(GateOutcomeCodes.Of(outcome));
        return byOutcome;
    }
}

/// <summary>The funnel's answer: the order of an accepted purchase, or why it was refused.</summary>
public readonly record struct PurchaseAnswer(long OrderId, PurchaseRefusal? Refusal)
{
    public bool IsAccepted => Refusal is null;
}
