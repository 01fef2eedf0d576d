
namespace FlashSale.Server.Apis;

public static class PurchaseApi
{
    internal static async Task<Results<Accepted<PurchaseAccepted>, ProblemResult>> PurchaseAsync(
        string saleId, HttpContext context, PurchaseFunnel funnel)
    {
        if (!long.TryParse(saleId, out var id)) return Problems.SaleNotFound;
        var (body, problem) = await JsonBody.ReadAsync(context.Request, PurchaseJson.Default.PurchaseRequestBody);
        if (problem is not null) return problem;
        if (body!.Quantity is not { } quantity) return Problems.InvalidRequest("quantity is required.");
        if (!Identifiers.IsValidRequestId(body.RequestId)) return Problems.InvalidRequest(Identifiers.RequestIdRule);
        if (!context.HasValidDeviceId()) return Problems.InvalidRequest(Identifiers.DeviceIdRule);

        var answer = await funnel.PurchaseAsync(new PurchaseAttempt(id, context.Caller(), quantity, body.RequestId, body.Token), context.RequestAborted);
        if (answer.Refusal is { } refusal) return Problems.ForRefusal(refusal);
        var orderId = ApiId.Of(answer.OrderId);
        return TypedResults.Accepted($"/api/orders/{orderId}", new PurchaseAccepted(orderId, Core.Orders.OrderStatus.Queued));
    }
}

public sealed record PurchaseRequestBody(int? Quantity, string? RequestId, string? Token);

public sealed record PurchaseAccepted(string OrderId, string Status);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PurchaseRequestBody))]
[JsonSerializable(typeof(PurchaseAccepted))]
public sealed partial class PurchaseJson : JsonSerializerContext;
