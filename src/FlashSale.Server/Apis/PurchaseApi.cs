using System.ComponentModel.DataAnnotations;

namespace FlashSale.Server.Apis;

public static class PurchaseApi
{
    /// <summary>A purchase's refusals besides its body's: an unparsable sale id, and every refusal of the funnel.</summary>
    internal static readonly ProblemResult[] PurchaseProblems = [Problems.SaleNotFound, .. Problems.Refusals];

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

/// <param name="Quantity">Units to buy: 1 to the sale's per-user limit.</param>
/// <param name="RequestId">The purchase's idempotency key, [A-Za-z0-9._:-]{1,64}: a retry with it answers the first answer.</param>
/// <param name="Token">A purchase token (POST /api/sales/{saleId}/token), where the sale or a challenge asks for one.</param>
/// <remarks>Nullable, so that a missing member is the handler's 400 with its own detail; [Required] tells the API description.</remarks>
public sealed record PurchaseRequestBody([property: Required] int? Quantity, [property: Required] string? RequestId, string? Token);

public sealed record PurchaseAccepted(string OrderId, string Status);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PurchaseRequestBody))]
[JsonSerializable(typeof(PurchaseAccepted))]
public sealed partial class PurchaseJson : JsonSerializerContext;
