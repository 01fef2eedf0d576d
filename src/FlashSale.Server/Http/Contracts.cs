using System.Globalization;
using FlashSale.Core.Orders;
using FlashSale.Core.Sales;

namespace FlashSale.Server.Http;

// The HTTP contract (README, "HTTP API"). Ids are strings: 64-bit values do not fit JavaScript numbers.

public sealed record TimeResponse(DateTimeOffset Now, long EpochMs);

public sealed record DevTokenRequest(string? UserId);
public sealed record DevTokenResponse(string Token, DateTimeOffset ExpiresAt);

public sealed record CreateSaleRequest(
    string? Name, string? ProductId, decimal? Price, int? Stock, int? PerUserLimit,
    DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, int? PaymentTimeoutSeconds, SaleGatewayRules? GatewayRules);

public sealed record SaleResponse(
    string SaleId, string Name, string ProductId, decimal Price, int Stock, int PerUserLimit,
    DateTimeOffset StartsAt, DateTimeOffset EndsAt, int PaymentTimeoutSeconds, string State, long Remaining, SaleGatewayRules GatewayRules)
{
    public static SaleResponse From(Sale sale, string state, long remaining) => new(
        Id(sale.Id), sale.Name, sale.ProductId, sale.Price, sale.Stock, sale.PerUserLimit,
        sale.StartsAt, sale.EndsAt, sale.PaymentTimeoutSeconds, state, remaining, sale.GatewayRules ?? SaleGatewayRules.Default);

    public static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);
}

/// <param name="AdmissionQueueDepth">Purchases waiting for the gate in the process that answered.</param>
public sealed record SaleStatsResponse(
    string SaleId, int Stock, long Accepted, long Persisted, long Failed, long RemainingInGate, long RemainingInDb,
    IReadOnlyDictionary<string, long> OrdersByStatus, int AdmissionQueueDepth, DateTimeOffset? FirstAcceptedAt, DateTimeOffset? LastPersistedAt);

public sealed record PurchaseRequestBody(int? Quantity, string? RequestId, string? Token);
public sealed record PurchaseAccepted(string OrderId, string Status);

public sealed record OrderResponse(string OrderId, string SaleId, string UserId, int Quantity, string RequestId, string Status, DateTimeOffset AcceptedAt)
{
    public static OrderResponse From(Order o) => new(SaleResponse.Id(o.OrderId), SaleResponse.Id(o.SaleId), o.UserId, o.Quantity, o.RequestId, o.Status, o.AcceptedAt);

    public static OrderResponse Queued(OrderIntent i) => new(SaleResponse.Id(i.OrderId), SaleResponse.Id(i.SaleId), i.UserId, i.Quantity, i.RequestId,
        OrderStatus.Queued, DateTimeOffset.FromUnixTimeMilliseconds(i.AcceptedAtMs));
}

public sealed record HealthResponse(string Status, IReadOnlyDictionary<string, string> Checks);

public sealed record ChallengeResponse(string ChallengeId, string Question, DateTimeOffset ExpiresAt);
public sealed record TokenRequest(string? ChallengeId, string? Answer);
public sealed record TokenResponse(string Token, DateTimeOffset ExpiresAt);

public sealed record BlacklistRequest(string? Kind, string? Value, DateTimeOffset? ExpiresAt, int? TtlSeconds, string? Reason);
public sealed record BlacklistEntryResponse(string Kind, string Value, DateTimeOffset? ExpiresAt, string? Reason)
{
    public static BlacklistEntryResponse From(FlashSale.Core.Gateway.BlacklistEntry e) => new(e.Kind.ToString().ToLowerInvariant(), e.Value, e.ExpiresAt, e.Reason);
}

public sealed record FunnelLayerResponse(string Layer, long Arrived, long Passed, long Stopped, IReadOnlyDictionary<string, long> StoppedBy);
public sealed record FunnelResponse(string SaleId, IReadOnlyList<FunnelLayerResponse> Layers);
