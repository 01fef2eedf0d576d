using Microsoft.AspNetCore.Http.Metadata;

namespace FlashSale.Server.Http;

/// <summary>
/// How large a request body the server takes. Kestrel refuses anything beyond <see cref="JsonBody.MaxBytes"/> (the
/// largest body any call reads) before it is buffered, chunked or not; an endpoint that takes less says so with
/// <see cref="WithBodyLimit{TBuilder}"/>, which routing hands to Kestrel for that request. The readers check the same
/// limits themselves (<see cref="JsonBody"/>, the payment webhook), so a host without Kestrel's limits (the in-process
/// test server) answers alike: 413 <c>body_too_large</c>.
/// </summary>
public static class BodyLimits
{
    public static WebApplicationBuilder LimitRequestBodies(this WebApplicationBuilder builder)
    {
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = JsonBody.MaxBytes);
        return builder;
    }

    /// <summary>This endpoint's requests may carry at most <paramref name="maxBytes"/> of body (below the server's limit).</summary>
    public static TBuilder WithBodyLimit<TBuilder>(this TBuilder builder, long maxBytes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new BodyLimit(maxBytes));

    /// <summary>
    /// Reads the body into <paramref name="into"/>, stopping when it is full: give it one byte more than the limit, and a
    /// full buffer says "too long" without reading further.
    /// </summary>
    public static async ValueTask<int> ReadUpToAsync(Stream body, Memory<byte> into, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < into.Length)
        {
            var read = await body.ReadAsync(into[total..], cancellationToken).ConfigureAwait(false);
            if (read == 0) break;
            total += read;
        }
        return total;
    }

    private sealed record BodyLimit(long MaxBytes) : IRequestSizeLimitMetadata
    {
        long? IRequestSizeLimitMetadata.MaxRequestBodySize => MaxBytes;
    }
}
