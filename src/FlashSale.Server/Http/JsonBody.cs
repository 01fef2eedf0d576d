using System.Text.Json.Serialization.Metadata;

namespace FlashSale.Server.Http;

/// <summary>Reads a JSON body; malformed JSON, a wrong type or an overflowing number become 400 invalid_request.</summary>
public static class JsonBody
{
    public const long MaxBytes = 16 * 1024;

    public static async ValueTask<(T? Value, ProblemResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type) where T : class
    {
        if (!request.HasJsonContentType()) return (null, Problems.InvalidRequest("Content-Type must be application/json."));
        if (request.ContentLength > MaxBytes) return (null, Problems.InvalidRequest($"The body must be at most {MaxBytes} bytes."));
        try
        {
            var value = await request.ReadFromJsonAsync(type, request.HttpContext.RequestAborted).ConfigureAwait(false);
            return value is null ? (null, Problems.InvalidRequest("A JSON object body is required.")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.InvalidRequest($"The body is not valid JSON for this call: {ex.Message}"));
        }
    }
}
