using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlashSale.Core.Sales;

/// <summary>How stores keep <see cref="SaleGatewayRules"/>: one JSON text column.</summary>
public static class SaleGatewayRulesJson
{
    public static string? Serialize(SaleGatewayRules? rules) =>
        rules is null ? null : JsonSerializer.Serialize(rules, SaleGatewayRulesJsonContext.Default.SaleGatewayRules);

    public static SaleGatewayRules? Deserialize(string? json) =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize(json, SaleGatewayRulesJsonContext.Default.SaleGatewayRules);
}

[JsonSerializable(typeof(SaleGatewayRules))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class SaleGatewayRulesJsonContext : JsonSerializerContext;
