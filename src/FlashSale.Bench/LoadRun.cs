using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlashSale.Bench;

/// <summary>What one burst of purchase attempts met: answers by code, latency histogram, timeline, winners.</summary>
public sealed class LoadResult
{
    public const int SliceMs = 100;
    public LatencyHistogram Latency { get; } = new();
    public ConcurrentDictionary<string, long> ByCode { get; } = new();
    public ConcurrentBag<(int User, int Quantity, string OrderId)> Accepted { get; } = [];
    public long[] AttemptsPerSlice { get; } = new long[36_000];
    public long[] AcceptedPerSlice { get; } = new long[36_000];
    public TimeSpan Elapsed { get; set; }
    public long Attempts => ByCode.Values.Sum();
    /// <summary>When the first sold_out answer came back: the end of the contested phase.</summary>
    public long SoldOutAtMs { get; set; } = long.MaxValue;
    public int Slices => (int)Math.Ceiling(Elapsed.TotalMilliseconds / SliceMs);
    private long _retries;
    /// <summary>Requests sent again (a purchase retried twice counts two).</summary>
    public long Retries => Interlocked.Read(ref _retries);
    internal void CountRetry() => Interlocked.Increment(ref _retries);
    /// <summary>The final answers of the purchases that needed a retry, by code: what the retries learned.</summary>
    public ConcurrentDictionary<string, long> LearnedByRetry { get; } = new();
    /// <summary>Purchases whose last answer, after every retry, was still a 5xx or no answer, by code.</summary>
    public ConcurrentDictionary<string, long> Unresolved { get; } = new();
}

/// <summary>How a purchase answered 5xx or lost in transport is sent again: up to <paramref name="MaxRetries"/> times, after
/// <paramref name="FirstBackoff"/>, doubling each time.</summary>
public sealed record RetryPolicy(int MaxRetries, TimeSpan FirstBackoff)
{
    public static readonly RetryPolicy Default = new(5, TimeSpan.FromMilliseconds(100));

    public TimeSpan Backoff(int retry) => FirstBackoff * Math.Pow(2, retry);
}

/// <summary>Simulated buyers: tokens minted with the deployment's signing key for its audience, released together at the start.</summary>
public sealed class LoadRun
{
    private static readonly JsonWebTokenHandler Handler = new();

    public static string[] MintTokens(int users, string prefix)
    {
        var credentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(BenchEnvironment.SigningKey)), SecurityAlgorithms.HmacSha256);
        var tokens = new string[users];
        Parallel.For(0, users, i => tokens[i] = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "flashsale",
            Audience = BenchEnvironment.Audience,
            Claims = new Dictionary<string, object> { ["sub"] = prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            Expires = DateTime.UtcNow.AddHours(6),
            SigningCredentials = credentials,
        }));
        return tokens;
    }

    public static HttpClient Client(Uri baseAddress, int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = TimeSpan.FromMinutes(30),
        AutomaticDecompression = DecompressionMethods.None,
    })
    { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>
    /// Sends <paramref name="attempts"/> purchases (attempt i by user i mod users, quantity 1, requestId "b&lt;i&gt;") at
    /// <paramref name="path"/> with <paramref name="concurrency"/> in flight, printing progress every second. A purchase
    /// answered 5xx or lost in transport is sent again with the same requestId, as a real client does (the answer says
    /// so), up to <see cref="RetryPolicy.MaxRetries"/> times; its latency runs from its first send to its last answer.
    /// With <paramref name="maxDuration"/>, no purchase is started after that time (a warm-up's bound).
    /// </summary>
    public static async Task<LoadResult> RunAsync(HttpClient http, string path, string[] tokens, int attempts, int concurrency, string label,
        RetryPolicy? retry = null, TimeSpan? maxDuration = null)
    {
        retry ??= RetryPolicy.Default;
        var result = new LoadResult();
        var next = -1;
        var clock = Stopwatch.StartNew();
        using var progress = new Timer(_ =>
        {
            var done = result.Attempts;
            Console.Error.WriteLine($"  {label}: {clock.Elapsed.TotalSeconds,5:F1} s  {done,9:N0}/{attempts:N0} attempts  {done / Math.Max(0.001, clock.Elapsed.TotalSeconds),8:N0}/s  accepted {result.Accepted.Count:N0}");
        }, null, 1000, 1000);

        async Task WorkerAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < attempts && (maxDuration is null || clock.Elapsed < maxDuration))
            {
                var user = i % tokens.Length;
                var body = $"{{\"quantity\":1,\"requestId\":\"b{i}\"}}";
                var started = Stopwatch.GetTimestamp();
                var (status, code, orderId) = await SendAsync(http, path, tokens[user], user, body);
                var retries = 0;
                while (IsRetryable(status) && retries < retry.MaxRetries)
                {
                    await Task.Delay(retry.Backoff(retries));
                    retries++;
                    result.CountRetry();
                    (status, code, orderId) = await SendAsync(http, path, tokens[user], user, body);
                }
                if (retries > 0) result.LearnedByRetry.AddOrUpdate(code, 1, static (_, n) => n + 1);
                if (IsRetryable(status)) result.Unresolved.AddOrUpdate(code, 1, static (_, n) => n + 1);
                var micros = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
                var atMs = clock.ElapsedMilliseconds;
                var slice = (int)Math.Min(atMs / LoadResult.SliceMs, result.AttemptsPerSlice.Length - 1);
                result.Latency.Record(micros);
                result.ByCode.AddOrUpdate(code, 1, static (_, n) => n + 1);
                Interlocked.Increment(ref result.AttemptsPerSlice[slice]);
                if (orderId is not null)
                {
                    result.Accepted.Add((user, 1, orderId));
                    Interlocked.Increment(ref result.AcceptedPerSlice[slice]);
                }
                if (code == "sold_out" && atMs < result.SoldOutAtMs) result.SoldOutAtMs = atMs;
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(WorkerAsync)));
        result.Elapsed = clock.Elapsed;
        return result;
    }

    /// <summary>What a client sends again, with the same requestId: a server error (503 unavailable says "try again
    /// with the same requestId") or no answer at all (status 0). A 429 is an answer (the load was shed), not retried here.</summary>
    public static bool IsRetryable(int status) => status == 0 || status >= 500;

    /// <summary>One purchase request: its answer's status (0: none), code ("accepted", the problem's code, else the status) and orderId.</summary>
    private static async Task<(int Status, string Code, string? OrderId)> SendAsync(HttpClient http, string path, string token, int user, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", $"198.18.{user / 250 % 256}.{user % 250 + 1}");
        try
        {
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.Accepted) return (status, "accepted", FieldOf(text, "orderId"));
            return (status, FieldOf(text, "code") ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture), null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return (0, "transport_error", null);
        }
    }

    /// <summary>A string field of a small flat JSON answer, read without parsing the whole body (the client must stay cheap).</summary>
    private static string? FieldOf(string body, string name)
    {
        var key = "\"" + name + "\":\"";
        var at = body.IndexOf(key, StringComparison.Ordinal);
        if (at < 0) return null;
        var start = at + key.Length;
        var end = body.IndexOf('"', start);
        return end > start ? body[start..end] : null;
    }
}
