using System.Text.Json.Serialization;

namespace FlashSale.Redis;

/// <summary>An intent as decide.lua stores it (short names: one per winner, kept in Redis memory).</summary>
internal sealed record StoredIntent(string U, int Q, string R, long T);

[JsonSerializable(typeof(StoredIntent))]
[JsonSerializable(typeof(StoredEntry))]
[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
internal sealed partial class RedisJsonContext : JsonSerializerContext;
