using System.Text.Json;
using System.Text.Json.Serialization;
using FlashSale.Core.Orders;

namespace FlashSale.RabbitMq;

/// <summary>An order message's body: one intent (a JSON object) or a relay batch of them (a JSON array of the same objects).</summary>
[JsonSerializable(typeof(OrderIntent))]
[JsonSerializable(typeof(OrderIntent[]))]
[JsonSerializable(typeof(IReadOnlyList<OrderIntent>))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
internal sealed partial class OrderMessageJsonContext : JsonSerializerContext;
