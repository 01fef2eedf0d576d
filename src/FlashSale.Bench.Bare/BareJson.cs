using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlashSale.Bench.Bare;

/// <summary>The purchase's body, as the real endpoint reads it.</summary>
public sealed record BarePurchase(int? Quantity, string? RequestId, string? Token);

public sealed record BareAccepted(string OrderId, string Status);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BarePurchase))]
[JsonSerializable(typeof(BareAccepted))]
public sealed partial class BareJson : JsonSerializerContext;
