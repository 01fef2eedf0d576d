using System.Net;

namespace FlashSale.Testing;

/// <summary>A webhook's receiver on loopback (a merchant): answers <see cref="Answer"/> to each POST and keeps what it got.
/// Started when the test says, so a test can have it down first.</summary>
public sealed class WebhookReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly List<ReceivedWebhook> _requests = [];

    public WebhookReceiver(int? port = null)
    {
        Url = $"http://127.0.0.1:{port ?? TestServices.FreePort()}/hook/";
        _listener.Prefixes.Add(Url);
    }

    public string Url { get; }

    /// <summary>The status each request is answered with.</summary>
    public HttpStatusCode Answer { get; set; } = HttpStatusCode.OK;

    /// <summary>What arrived so far, in order.</summary>
    public IReadOnlyList<ReceivedWebhook> Requests
    {
        get { lock (_requests) return [.. _requests]; }
    }

    public WebhookReceiver Start()
    {
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException) { return; }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                lock (_requests) _requests.Add(new ReceivedWebhook(context.Request.Headers, body.ToArray()));
                context.Response.StatusCode = (int)Answer;
                context.Response.Close();
            }
        });
        return this;
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
