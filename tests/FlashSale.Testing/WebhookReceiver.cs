using System.Net;

namespace FlashSale.Testing;

/// <summary>
/// A webhook's receiver on loopback (a merchant): answers <see cref="Answer"/> to each POST and keeps what it got.
/// It holds its port from the moment it is made (so no process started meanwhile can take it), but until the test
/// starts it, it is down: every request is answered 503 and not kept.
/// </summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<ReceivedWebhook> _requests = [];
    private volatile bool _up;

    public WebhookReceiver(int? port = null)
    {
        Url = $"http://127.0.0.1:{port ?? TestServices.FreePort()}/hook/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public string Url { get; }

    /// <summary>The status each request is answered with.</summary>
    public HttpStatusCode Answer { get; set; } = HttpStatusCode.OK;

    /// <summary>What arrived so far, in order.</summary>
    public IReadOnlyList<ReceivedWebhook> Requests
    {
        get { lock (_requests) return [.. _requests]; }
    }

    /// <summary>From now on requests are answered <see cref="Answer"/> and kept.</summary>
    public WebhookReceiver Start()
    {
        _up = true;
        return this;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (_up)
            {
                lock (_requests) _requests.Add(new ReceivedWebhook(context.Request.Headers, body.ToArray()));
            }
            context.Response.StatusCode = _up ? (int)Answer : (int)HttpStatusCode.ServiceUnavailable;
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        if (_listener.IsListening) _listener.Stop();
        _listener.Close();
    }
}

/// <summary>One request a <see cref="WebhookReceiver"/> got: its headers and its raw body.</summary>
public sealed record ReceivedWebhook(System.Collections.Specialized.NameValueCollection Headers, byte[] Body)
{
    public string? Header(string name) => Headers[name];
}
