using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlashSale.Core.Sales;

/// <summary>How stores keep <see cref="SaleProtection"/>: one JSON text column.</summary>
public static class SaleProtectionJson
{
    public static string? Serialize(SaleProtection? protection) =>
        protection is null ? null : JsonSerializer.Serialize(protection, SaleProtectionJsonContext.Default.SaleProtection);

    public static SaleProtection? Deserialize(string? json) =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize(json, SaleProtectionJsonContext.Default.SaleProtection);
}

[JsonSerializable(typeof(SaleProtection))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class SaleProtectionJsonContext : JsonSerializerContext;
