
namespace FlashSale.Server.Http;

/// <summary>
/// application/problem+json answers with a machine-readable <c>code</c> (README, "HTTP API"). The refusals a
/// burst produces by the thousand are encoded once and written as bytes.
/// </summary>
public sealed class ProblemResult : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    public const string MediaType = "application/problem+json";
    private readonly byte[] _body;

    /// <param name="challenge">Marks a refusal that a captcha challenge answers (the body's <c>challenge</c> member).</param>
    public ProblemResult(int status, string code, string title, string detail, int? retryAfterSeconds = null, bool challenge = false)
    {
        StatusCode = status;
        Code = code;
        Title = title;
        RetryAfterSeconds = retryAfterSeconds;
        _body = JsonSerializer.SerializeToUtf8Bytes(new ProblemBody("about:blank", title, status, detail, code, challenge ? true : null), AppJsonContext.Default.ProblemBody);
    }

    public int? StatusCode { get; }
    public string Code { get; }
    /// <summary>The body's title, for the API description (the body itself is encoded once, above).</summary>
    public string Title { get; }
    public int? RetryAfterSeconds { get; }
    public string ContentType => MediaType;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode!.Value;
        response.ContentType = MediaType;
        response.ContentLength = _body.Length;
        if (RetryAfterSeconds is { } seconds) response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return response.Body.WriteAsync(_body).AsTask();
    }
}

/// <param name="Challenge">True where answering a challenge lifts the refusal; absent otherwise.</param>
public sealed record ProblemBody(string Type, string Title, int Status, string Detail, string Code, bool? Challenge = null);

public static class Problems
{
    public static readonly ProblemResult Unauthorized = new(401, "unauthorized", "Unauthorized", "A valid bearer token is required.");
    public static readonly ProblemResult Forbidden = new(403, "forbidden", "Forbidden", "You may not do this.");
    public static readonly ProblemResult AdminKeyMissing = new(401, "unauthorized", "Unauthorized", "The X-Admin-Key header is required.");
    public static readonly ProblemResult AdminKeyWrong = new(403, "forbidden", "Forbidden", "The X-Admin-Key header is wrong.");
    public static readonly ProblemResult SaleNotFound = new(404, "sale_not_found", "Sale not found", "No sale has this id.");
    public static readonly ProblemResult ReconciliationNotFound = new(404, "reconciliation_not_found", "No reconciliation", "This sale has not been reconciled yet.");
    public static readonly ProblemResult OrderNotFound = new(404, "order_not_found", "Order not found", "You have no order with this id.");
    public static readonly ProblemResult NotStarted = new(409, "not_started", "Not started", "The sale has not started yet.");
    public static readonly ProblemResult LimitExceeded = new(409, "limit_exceeded", "Limit exceeded", "This would take you over the per-user limit of this sale.");
    public static readonly ProblemResult SoldOut = new(410, "sold_out", "Sold out", "The sale is sold out.");
    public static readonly ProblemResult Ended = new(410, "ended", "Ended", "The sale has ended.");
    public static readonly ProblemResult Busy = new(429, "busy", "Too busy", "Too many purchases are waiting; try again shortly with the same requestId.", retryAfterSeconds: 1);
    public static readonly ProblemResult StreamsBusy = new(503, "busy", "Too busy", "Too many order streams are open on this server; try again shortly.", retryAfterSeconds: 5);
    public static readonly ProblemResult Unavailable = new(503, "unavailable", "Unavailable", "The stock gate cannot decide right now; nothing was sold. Try again with the same requestId.", retryAfterSeconds: 1);
    public static readonly ProblemResult RequestTimeout = new(408, "request_timeout", "Request timeout", "The request body came too slowly; nothing was done.");
    public static readonly ProblemResult QuantityOutOfRange = InvalidRequest("quantity must be between 1 and the sale's per-user limit.");

    public static readonly ProblemResult Throttled = new(429, "throttled", "Too many requests", "Slow down; try again after the Retry-After delay.", retryAfterSeconds: 1);
    public static readonly ProblemResult Blacklisted = new(403, "blacklisted", "Blocked", "This account, address or device may not buy.");
    /// <summary>Carries <c>"challenge": true</c>: the client answers a challenge and retries with the token and the same requestId.</summary>
    public static readonly ProblemResult InvalidToken = new(403, "invalid_token", "Purchase token required",
        "A valid, unused purchase token for this sale is required: answer a challenge (POST /api/sales/{saleId}/challenge), then retry with its token and the same requestId.",
        challenge: true);
    public static readonly ProblemResult RiskRejected = new(403, "risk_rejected", "Refused", "This purchase looks automated and was refused.");
    public static readonly ProblemResult WrongAnswer = new(403, "wrong_answer", "Wrong answer", "The answer is wrong, or the challenge expired; ask for a new one.");
    public static readonly ProblemResult ChallengeUsed = new(409, "challenge_used", "Challenge used", "This challenge was already answered (each takes one answer, right or wrong); ask for a new one.");

    private static readonly Dictionary<string, ProblemResult> ByCode = new[]
    {
        LimitExceeded, SoldOut, NotStarted, Ended, SaleNotFound, QuantityOutOfRange, Busy, Unavailable, Throttled, Blacklisted, InvalidToken, RiskRejected,
    }.ToDictionary(p => p.Code);

    /// <summary>Every answer <see cref="ForRefusal"/> gives (throttling's with its own delay), for the API description.</summary>
    public static IEnumerable<ProblemResult> Refusals => ByCode.Values;

    public static ProblemResult InvalidRequest(string detail) => new(400, "invalid_request", "Invalid request", detail);

    /// <summary>413: the body is longer than the call takes (each limit's answer is encoded once).</summary>
    public static ProblemResult BodyTooLarge(long maxBytes) => TooLargeFor.GetOrAdd(maxBytes,
        static max => new ProblemResult(413, "body_too_large", "Body too large", $"The request body must be at most {max} bytes; it was not read further."));

    /// <summary>
    /// The server refused the request while it was read (Kestrel's <see cref="BadHttpRequestException"/>): a body beyond
    /// the limit is 413 body_too_large, broken framing 400 invalid_request, any other refusal its own 4xx.
    /// </summary>
    /// <param name="maxBodyBytes">The body limit the request was read under.</param>
    public static ProblemResult ForBadRequest(BadHttpRequestException refusal, long? maxBodyBytes) => refusal.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => BodyTooLarge(maxBodyBytes ?? JsonBody.MaxBytes),
        StatusCodes.Status400BadRequest => InvalidRequest($"The request could not be read: {refusal.Message}"),
        StatusCodes.Status408RequestTimeout => RequestTimeout,
        var status => new ProblemResult(status is >= 400 and < 500 ? status : 400, "bad_request", "Bad request", $"The request could not be read: {refusal.Message}"),
    };

    /// <summary>The HTTP answer to a refused purchase; throttling says when to come back.</summary>
    /// <remarks>Only throttling carries a delay; each distinct delay (at most the rate window, in seconds) is encoded once.</remarks>
    public static ProblemResult ForRefusal(PurchaseRefusal refusal) =>
        refusal.RetryAfter is { } wait && wait > TimeSpan.FromSeconds(1)
            ? ThrottledFor.GetOrAdd((int)Math.Ceiling(wait.TotalSeconds),
                static seconds => new ProblemResult(429, Throttled.Code, "Too many requests", "Slow down; try again after the Retry-After delay.", seconds))
            : ByCode[refusal.Code];

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, ProblemResult> ThrottledFor = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<long, ProblemResult> TooLargeFor = new();
}
