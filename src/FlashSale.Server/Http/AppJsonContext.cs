using System.Text.Json.Serialization.Metadata;
using FlashSale.Server.Apis;

namespace FlashSale.Server.Http;

/// <summary>Source-generated JSON for every answer: each feature's context (next to its handlers) and the shared one here.</summary>
public static class FlashSaleJson
{
    public static readonly IJsonTypeInfoResolver Resolver = JsonTypeInfoResolver.Combine(
        AppJsonContext.Default, SalesJson.Default, PurchaseJson.Default, OrdersJson.Default, PaymentsJson.Default, GatewayJson.Default,
        DevJson.Default, AdminJson.Default, BlacklistJson.Default, HealthJson.Default);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(FlashSale.Core.Reconciliation.ReconciliationReport))]
public sealed partial class AppJsonContext : JsonSerializerContext;
