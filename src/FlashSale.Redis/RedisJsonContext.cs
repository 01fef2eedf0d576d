using System.Text.Json;
using System.Text.Json.Serialization;
using FlashSale.Core.Orders;

namespace FlashSale.Redis;

/// <summary>An intent as decide.lua stores it (short names: one per winner, kept in Redis memory).</summary>
internal sealed record StoredIntent(string U, int Q, string R, long T)
{
    /// <summary>The intent a value of the sale's orders hash stands for.</summary>
    public static OrderIntent Read(string json, long orderId, long saleId)
    {
        var stored = JsonSerializer.Deserialize(json, RedisJsonContext.Default.StoredIntent)!;
        return new OrderIntent(orderId, saleId, stored.U, stored.Q, stored.R, stored.T);
    }

    /// <summary>The orders hash's value for an order (as decide.lua writes it).</summary>
    public static string Write(string userId, int quantity, string requestId, long acceptedAtMs) =>
        JsonSerializer.Serialize(new StoredIntent(userId, quantity, requestId, acceptedAtMs), RedisJsonContext.Default.StoredIntent);
}

[JsonSerializable(typeof(StoredIntent))]
[JsonSerializable(typeof(StoredEntry))]
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class RedisJsonContext : JsonSerializerContext;
