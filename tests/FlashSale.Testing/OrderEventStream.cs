using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace FlashSale.Testing;

/// <summary>One server-sent event of an order stream: its name, id and JSON data.</summary>
public sealed record OrderEvent(string Event, string Id, JsonObject Data)
{
    public string Status => Data["status"]!.GetValue<string>();
}

/// <summary><c>GET /api/orders/{orderId}/events</c> as a test reads it, frame by frame.</summary>
public sealed class OrderEventStream : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly StreamReader _reader;

    private OrderEventStream(HttpResponseMessage response, StreamReader reader) => (_response, _reader) = (response, reader);

    public HttpResponseMessage Response => _response;

    /// <summary>Comments (<c>: keep-alive</c>) read so far.</summary>
    public int Comments { get; private set; }

    /// <summary>Opens the stream; the answer's status and headers are in <see cref="Response"/> (a 404 has no events).</summary>
    public static async Task<OrderEventStream> OpenAsync(HttpClient http, string orderId, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/orders/{orderId}/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new OrderEventStream(response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    /// <summary>The next event, or null once the server ended the stream; fails after <paramref name="timeout"/> (30 s).</summary>
    public async Task<OrderEvent?> NextAsync(TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        string? name = null, id = null, data = null;
        while (true)
        {
            string? line;
            try
            {
                line = await _reader.ReadLineAsync(deadline.Token);
            }
            catch (OperationCanceledException ex)
            {
                throw new TimeoutException($"no order event within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds} s", ex);
            }
            if (line is null) return null;
            if (line.Length == 0)
            {
                if (data is not null) return new OrderEvent(name ?? "message", id ?? "", JsonNode.Parse(data)!.AsObject());
                continue;
            }
            if (line.StartsWith(':')) Comments++;
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("id: ", StringComparison.Ordinal)) id = line[4..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) data = line[6..];
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _response.Dispose();
        return ValueTask.CompletedTask;
    }
}
