using System.Text.Json.Serialization.Metadata;

namespace FlashSale.Server.Http;

/// <summary>
/// Reads a JSON body of at most <see cref="MaxBytes"/>; malformed JSON, a wrong type, an overflowing number or a longer
/// body become 400 invalid_request.
/// </summary>
public static class JsonBody
{
    public const long MaxBytes = 16 * 1024;

    public static async ValueTask<(T? Value, ProblemResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type) where T : class
    {
        if (!request.HasJsonContentType()) return (null, Problems.InvalidRequest("Content-Type must be application/json."));
        if (request.ContentLength > MaxBytes) return (null, TooLarge);
        // A body sent without a length (chunked) is cut off at the same size while it is read.
        if (request.ContentLength is null) request.Body = new CappedStream(request.Body, MaxBytes);
        try
        {
            var value = await request.ReadFromJsonAsync(type, request.HttpContext.RequestAborted).ConfigureAwait(false);
            return value is null ? (null, Problems.InvalidRequest("A JSON object body is required.")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.InvalidRequest($"The body is not valid JSON for this call: {ex.Message}"));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge);
        }
    }

    private static readonly ProblemResult TooLarge = Problems.InvalidRequest($"The body must be at most {MaxBytes} bytes.");

    /// <summary>Reads at most <paramref name="limit"/> bytes, then fails the way the server's own body limit does (413).</summary>
    private sealed class CappedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Counted(int read)
        {
            _read += read;
            return _read <= limit ? read : throw new BadHttpRequestException($"The body is longer than {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
        }
    }
}
