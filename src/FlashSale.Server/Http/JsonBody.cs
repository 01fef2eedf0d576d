using System.Buffers;
using System.Text;
using System.Text.Json.Serialization.Metadata;
using Microsoft.Net.Http.Headers;

namespace FlashSale.Server.Http;

/// <summary>
/// Reads a JSON body of at most <see cref="MaxBytes"/>, declared or not (chunked): a longer one is 413 body_too_large,
/// read no further than the limit; malformed JSON, a wrong type or an overflowing number become 400 invalid_request.
/// </summary>
public static class JsonBody
{
    public const int MaxBytes = 16 * 1024;
    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    public static async ValueTask<(T? Value, ProblemResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type) where T : class
    {
        if (!request.HasJsonContentType()) return (null, Problems.InvalidRequest("Content-Type must be application/json."));
        if (request.ContentLength > MaxBytes) return (null, Problems.BodyTooLarge(MaxBytes));
        if (!TryGetEncoding(request.ContentType!, out var encoding)) return (null, Problems.InvalidRequest("The charset is not a known encoding; send UTF-8."));

        // One byte more than allowed: a full buffer means the body is too long. A declared length sizes the buffer.
        var capacity = (int)Math.Min(request.ContentLength ?? MaxBytes, MaxBytes) + 1;
        var buffer = ArrayPool<byte>.Shared.Rent(capacity);
        try
        {
            var length = await BodyLimits.ReadUpToAsync(request.Body, buffer.AsMemory(0, capacity), request.HttpContext.RequestAborted).ConfigureAwait(false);
            if (length > MaxBytes) return (null, Problems.BodyTooLarge(MaxBytes));
            var body = buffer.AsSpan(0, length);
            if (encoding is null && body.StartsWith(Utf8Bom)) body = body[Utf8Bom.Length..]; // as a stream reader would skip it
            var value = encoding is null
                ? JsonSerializer.Deserialize(body, type)
                : JsonSerializer.Deserialize(Encoding.Convert(encoding, Encoding.UTF8, buffer, 0, length), type);
            return value is null ? (null, Problems.InvalidRequest("A JSON object body is required.")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.InvalidRequest($"The body is not valid JSON for this call: {ex.Message}"));
        }
        catch (BadHttpRequestException ex)
        {
            // The server refused the body while it was read: beyond its limit (413), broken chunking (400), too slow (408).
            return (null, Problems.ForBadRequest(ex, MaxBytes));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The body's encoding when the content type names one other than UTF-8 (it is transcoded, as ASP.NET Core's
    /// own JSON reading does); false for a charset no encoding answers to.</summary>
    private static bool TryGetEncoding(string contentType, out Encoding? encoding)
    {
        encoding = null;
        if (!contentType.Contains(';', StringComparison.Ordinal)
            || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || HeaderUtilities.RemoveQuotes(mediaType.Charset) is not { Length: > 0 } charset // charset="utf-8" is utf-8
            || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        try
        {
            encoding = Encoding.GetEncoding(charset.Value!);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
