using System.Text.Json;
using System.Text.Json.Serialization;
using FlashSale.Core.Orders;

namespace FlashSale.RabbitMq;

[JsonSerializable(typeof(OrderIntent))]
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, NumberHandling = JsonNumberHandling.AllowReadingFromString)]
internal sealed partial class OrderMessageJsonContext : JsonSerializerContext;
