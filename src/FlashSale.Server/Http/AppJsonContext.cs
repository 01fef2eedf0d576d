using System.Text.Json.Serialization;

namespace FlashSale.Server.Http;

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(TimeResponse))]
[JsonSerializable(typeof(DevTokenRequest))]
[JsonSerializable(typeof(DevTokenResponse))]
[JsonSerializable(typeof(CreateSaleRequest))]
[JsonSerializable(typeof(SaleResponse))]
[JsonSerializable(typeof(SaleStatsResponse))]
[JsonSerializable(typeof(PurchaseRequestBody))]
[JsonSerializable(typeof(PurchaseAccepted))]
[JsonSerializable(typeof(OrderResponse))]
[JsonSerializable(typeof(IReadOnlyList<OrderResponse>))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ChallengeResponse))]
[JsonSerializable(typeof(TokenRequest))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(BlacklistRequest))]
[JsonSerializable(typeof(BlacklistEntryResponse))]
[JsonSerializable(typeof(IReadOnlyList<BlacklistEntryResponse>))]
[JsonSerializable(typeof(FunnelResponse))]
[JsonSerializable(typeof(FlashSale.Core.Reconciliation.ReconciliationReport))]
public sealed partial class AppJsonContext : JsonSerializerContext;
