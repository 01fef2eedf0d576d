using System.Net;
using System.Text;

namespace FlashSale.Testing;

/// <summary>
/// A stand-in OpenTelemetry collector: takes OTLP/HTTP protobuf exports (POST /v1/traces, /v1/metrics; anything else is
/// answered and ignored) on a loopback port held from the moment it is made, and decodes the few fields the tests look
/// at. <see cref="Settings"/> points a server at it with the standard OTEL_* settings and short export intervals.
/// </summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener;
    private readonly List<OtlpSpan> _spans = [];
    private readonly List<OtlpMetric> _metrics = [];
    private readonly List<string> _errors = [];
    private readonly Task _serving;

    public OtlpReceiver()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = TestServices.FreePort();
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}/");
            try
            {
                listener.Start();
                (_listener, Endpoint) = (listener, new Uri($"http://127.0.0.1:{port}"));
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                // Taken between the probe and the bind: another port.
                listener.Close();
            }
        }
        _serving = Task.Run(ServeAsync);
    }

    public Uri Endpoint { get; }

    /// <summary>The spans received so far.</summary>
    public IReadOnlyList<OtlpSpan> Spans { get { lock (_spans) return _spans.ToArray(); } }

    /// <summary>The metrics received so far (one entry per metric per export).</summary>
    public IReadOnlyList<OtlpMetric> Metrics { get { lock (_metrics) return _metrics.ToArray(); } }

    /// <summary>Exports that could not be read (a test failing to find what it waits for names them).</summary>
    public IReadOnlyList<string> Errors { get { lock (_errors) return _errors.ToArray(); } }

    /// <summary>The settings (configuration keys, which are also the environment variables' names) that export to this receiver.</summary>
    public Dictionary<string, string> Settings(string? serviceName = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        };
        if (serviceName is not null) settings["OTEL_SERVICE_NAME"] = serviceName;
        return settings;
    }

    /// <summary>Waits until the spans received satisfy <paramref name="done"/>; fails with what did arrive.</summary>
    public async Task<IReadOnlyList<OtlpSpan>> WaitForSpansAsync(Func<IReadOnlyList<OtlpSpan>, bool> done, string because, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var spans = Spans;
            if (done(spans)) return spans;
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Spans never showed {because}; received: " +
                    string.Join(", ", spans.Select(s => $"{s.Service}/{s.Scope}/{s.Name}")) + Unread());
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the metrics received satisfy <paramref name="done"/>; fails with what did arrive.</summary>
    public async Task WaitForMetricsAsync(Func<IReadOnlyList<OtlpMetric>, bool> done, string because, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!done(Metrics))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Metrics never showed {because}; received: " +
                    string.Join(", ", Metrics.Select(m => $"{m.Service}/{m.Scope}/{m.Name}").Distinct()) + Unread());
            }
            await Task.Delay(100);
        }
    }

    private string Unread() => Errors.Count == 0 ? "" : "; exports not read: " + string.Join("; ", Errors);

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                var path = context.Request.Url?.AbsolutePath;
                if (path == "/v1/traces") lock (_spans) _spans.AddRange(Otlp.ReadSpans(body.ToArray()));
                else if (path == "/v1/metrics") lock (_metrics) _metrics.AddRange(Otlp.ReadMetrics(body.ToArray()));
                // An empty ExportXxxServiceResponse: all accepted.
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
            }
            catch (Exception ex) when (ex is FormatException or IOException or HttpListenerException or ArgumentException)
            {
                lock (_errors) _errors.Add($"{context.Request.Url?.AbsolutePath}: {ex}");
                context.Response.StatusCode = 400;
            }
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serving;
    }
}

/// <summary>One span as exported: ids in lowercase hex, as in a <c>traceparent</c>.</summary>
public sealed record OtlpSpan(string Service, string Scope, string TraceId, string SpanId, string ParentSpanId, string Name,
    IReadOnlyList<OtlpLink> Links, IReadOnlyDictionary<string, string> Attributes, int StatusCode)
{
    public bool LinksTo(OtlpSpan other) => Links.Any(l => l.TraceId == other.TraceId && l.SpanId == other.SpanId);

    public bool IsChildOf(OtlpSpan other) => TraceId == other.TraceId && ParentSpanId == other.SpanId;

    public override string ToString() => $"{Service}/{Scope}/{Name} {TraceId}/{SpanId}";
}

public sealed record OtlpLink(string TraceId, string SpanId);

public sealed record OtlpMetric(string Service, string Scope, string Name);

/// <summary>
/// Just enough of the protobuf wire format, and of the OTLP messages (opentelemetry/proto/collector/{trace,metrics}/v1), to
/// read what a test asserts: resource service.name, scope name, span ids, parent, name, attributes, links, status; metric names.
/// </summary>
public static class Otlp
{
    public static IEnumerable<OtlpSpan> ReadSpans(byte[] request) => ReadScoped(request, ReadSpan);

    public static IEnumerable<OtlpMetric> ReadMetrics(byte[] request) =>
        ReadScoped(request, (service, scope, metric) => new OtlpMetric(service, scope, Text(Fields(metric).FirstOrDefault(f => f.Number == 1).Bytes)));

    /// <summary>
    /// Traces and metrics nest alike: field 1 of the request is a resource's items (its field 1 the resource, field 2 a
    /// scope's items), a scope's items hold the scope (field 1) and each span or metric (field 2).
    /// </summary>
    private static List<T> ReadScoped<T>(byte[] request, Func<string, string, ReadOnlyMemory<byte>, T> read)
    {
        var items = new List<T>();
        foreach (var resourceItems in Fields(request).Where(f => f.Number == 1))
        {
            var service = "";
            foreach (var field in Fields(resourceItems.Bytes))
            {
                if (field.Number == 1) service = ServiceName(field.Bytes);
                if (field.Number != 2) continue;
                var scope = "";
                foreach (var inScope in Fields(field.Bytes))
                {
                    if (inScope.Number == 1) scope = Text(Fields(inScope.Bytes).FirstOrDefault(f => f.Number == 1).Bytes);
                    if (inScope.Number == 2) items.Add(read(service, scope, inScope.Bytes));
                }
            }
        }
        return items;
    }

    private static OtlpSpan ReadSpan(string service, string scope, ReadOnlyMemory<byte> span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var links = new List<OtlpLink>();
        var attributes = new Dictionary<string, string>();
        var status = 0;
        foreach (var field in Fields(span))
        {
            switch (field.Number)
            {
                case 1: traceId = Hex(field.Bytes); break;
                case 2: spanId = Hex(field.Bytes); break;
                case 4: parent = Hex(field.Bytes); break;
                case 5: name = Text(field.Bytes); break;
                case 9: var (key, value) = Attribute(field.Bytes); attributes[key] = value; break;
                case 13:
                    var link = Fields(field.Bytes).ToList();
                    links.Add(new OtlpLink(Hex(link.FirstOrDefault(f => f.Number == 1).Bytes), Hex(link.FirstOrDefault(f => f.Number == 2).Bytes)));
                    break;
                case 15: status = (int)Fields(field.Bytes).FirstOrDefault(f => f.Number == 3).Value; break;
            }
        }
        return new OtlpSpan(service, scope, traceId, spanId, parent, name, links, attributes, status);
    }

    /// <summary>Resource.attributes["service.name"].</summary>
    private static string ServiceName(ReadOnlyMemory<byte> resource) =>
        Fields(resource).Where(f => f.Number == 1).Select(f => Attribute(f.Bytes)).FirstOrDefault(a => a.Key == "service.name").Value ?? "";

    /// <summary>A KeyValue: its key and its AnyValue as text (string, bool, int or double).</summary>
    private static (string Key, string Value) Attribute(ReadOnlyMemory<byte> keyValue)
    {
        string key = "", value = "";
        foreach (var field in Fields(keyValue))
        {
            if (field.Number == 1) key = Text(field.Bytes);
            if (field.Number != 2) continue;
            foreach (var any in Fields(field.Bytes))
            {
                value = any.Number switch
                {
                    1 => Text(any.Bytes),
                    2 => any.Value != 0 ? "true" : "false",
                    3 => ((long)any.Value).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    4 => BitConverter.UInt64BitsToDouble(any.Value).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ => value,
                };
            }
        }
        return (key, value);
    }

    private readonly record struct Field(int Number, ulong Value, ReadOnlyMemory<byte> Bytes);

    /// <summary>The fields of one message, in order: varints and fixed numbers as values, length-delimited ones as bytes.</summary>
    private static List<Field> Fields(ReadOnlyMemory<byte> message)
    {
        var fields = new List<Field>();
        var span = message.Span;
        var at = 0;
        while (at < span.Length)
        {
            var tag = Varint(span, ref at);
            var number = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0: fields.Add(new Field(number, Varint(span, ref at), default)); break;
                case 1: fields.Add(new Field(number, BitConverter.ToUInt64(span.Slice(at, 8)), default)); at += 8; break;
                case 2:
                    var length = (int)Varint(span, ref at);
                    if (length < 0 || at + length > span.Length) throw new FormatException("a length past the message's end");
                    fields.Add(new Field(number, 0, message.Slice(at, length)));
                    at += length;
                    break;
                case 5: fields.Add(new Field(number, BitConverter.ToUInt32(span.Slice(at, 4)), default)); at += 4; break;
                default: throw new FormatException($"wire type {tag & 7} is not read here");
            }
        }
        return fields;
    }

    private static ulong Varint(ReadOnlySpan<byte> span, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= span.Length) throw new FormatException("a varint past the message's end");
            var b = span[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw new FormatException("a varint longer than 64 bits");
    }

    private static string Hex(ReadOnlyMemory<byte> bytes) => Convert.ToHexStringLower(bytes.Span);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);
}
