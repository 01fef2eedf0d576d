using System.Net;
using System.Net.Http.Headers;

namespace FlashSale.Testing;

/// <summary>
/// A request body of unknown length: sent chunked (no Content-Length), as a client that streams its body sends it, so the
/// server cannot refuse it by its declared length and must count what it reads.
/// </summary>
public sealed class ChunkedContent : HttpContent
{
    private readonly byte[] _body;

    public ChunkedContent(byte[] body, string mediaType = "application/json")
    {
        _body = body;
        Headers.ContentType = new MediaTypeHeaderValue(mediaType);
    }

    /// <summary>A valid JSON object <paramref name="json"/> grown to <paramref name="size"/> bytes with whitespace before its closing brace.</summary>
    public static byte[] PaddedJson(string json, int size)
    {
        var head = System.Text.Encoding.UTF8.GetBytes(json.TrimEnd()[..^1]);
        var body = new byte[size];
        head.CopyTo(body, 0);
        body.AsSpan(head.Length, size - head.Length - 1).Fill((byte)' ');
        body[^1] = (byte)'}';
        return body;
    }

    /// <summary>
    /// Sends a request whose body the server will refuse part-way (413), built afresh for each attempt. Kestrel answers
    /// 413 and then closes the connection rather than read the rest, so a client still uploading may lose the answer
    /// to the reset ("the response ended prematurely"); such an attempt is made again, at most five times in all. Each
    /// attempt asks for its connection to be closed after it, so no later request is sent on the one the server drops.
    /// </summary>
    public static async Task<HttpResponseMessage> SendRefusedAsync(HttpClient http, Func<HttpRequestMessage> build)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var request = build();
            request.Headers.ConnectionClose = true;
            try
            {
                return await http.SendAsync(request);
            }
            catch (HttpRequestException) when (attempt < 5)
            {
            }
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(_body).AsTask();

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
