using System.ComponentModel.DataAnnotations;
using FlashSale.Core.Hosting;
using FlashSale.Core.Workers;

namespace FlashSale.Core.Notifications;

/// <summary>
/// Order notifications (FlashSale:Notifications): the buyer's live stream of an order, and the merchant's webhook fed
/// by the database's outbox. <see cref="WebhookUrl"/> unset: no webhook is sent, and the outbox is emptied instead.
/// </summary>
public sealed class NotificationOptions
{
    public const string Section = "FlashSale:Notifications";
    public const int MinWebhookSecretLength = 32;

    /// <summary>How often an open order stream re-reads its order without a signal (signals are best effort).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")] public TimeSpan StreamRecheck { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest an order stream stays silent: then it sends a comment (<c>: keep-alive</c>).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")] public TimeSpan StreamHeartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Order streams one process holds open at most; beyond, 503 busy.</summary>
    [Range(1, 1_000_000)] public int MaxOpenStreams { get; set; } = 10_000;

    /// <summary>Where the merchant's webhook is POSTed (absolute http or https); unset: off.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Keys the HMAC-SHA256 of the webhook's <c>X-FlashSale-Signature</c>; required (32 characters at least) when
    /// <see cref="WebhookUrl"/> is set, generated in Development.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>The deadline of one webhook POST: later counts as a failure.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")] public TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Outbox rows claimed per pass.</summary>
    [Range(1, 10_000)] public int WebhookBatchSize { get; set; } = 100;

    /// <summary>Webhook POSTs in flight at once per worker.</summary>
    [Range(1, 256)] public int WebhookConcurrency { get; set; } = 8;

    /// <summary>Attempts per event before it is left as <c>dead</c> (logged, counted, kept for operators).</summary>
    [Range(1, 1_000)] public int WebhookMaxAttempts { get; set; } = 20;

    /// <summary>The wait after an event's first failed attempt; doubles per attempt up to <see cref="WebhookRetryMax"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")] public TimeSpan WebhookRetryFirst { get; set; } = TimeSpan.FromSeconds(1);

    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")] public TimeSpan WebhookRetryMax { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The dispatcher's pause when the outbox holds nothing due.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")] public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long delivered (or, with the webhook off, skipped) rows stay in the outbox before they are deleted.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")] public TimeSpan DeliveredRetention { get; set; } = TimeSpan.FromHours(1);

    public bool WebhookEnabled => !string.IsNullOrEmpty(WebhookUrl);

    /// <summary>The wait before attempt <paramref name="attempts"/> + 1 of an event that failed <paramref name="attempts"/> times.</summary>
    public TimeSpan RetryDelay(int attempts) => Backoff.Doubling(WebhookRetryFirst, WebhookRetryMax).Delay(attempts);

    /// <summary>How long a claimed batch is kept from other dispatchers: every POST of it, in
    /// <see cref="WebhookConcurrency"/> lanes, at its deadline, and a minute more. A dispatcher that dies holding rows
    /// gives them up when this passes.</summary>
    public TimeSpan Lease(int rows) => WebhookTimeout * Math.Ceiling(rows / (double)WebhookConcurrency) + TimeSpan.FromMinutes(1);

    /// <summary>The rules data annotations cannot say; each failure names its key. <paramref name="production"/>: outside Development (<see cref="Secrets"/>).</summary>
    public IEnumerable<string> Failures(bool production = true)
    {
        if (!WebhookEnabled) yield break;
        if (!Uri.TryCreate(WebhookUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            yield return $"{Section}:WebhookUrl '{WebhookUrl}' is not an absolute http or https URL.";
        if (string.IsNullOrEmpty(WebhookSecret))
            yield return $"{Section}:WebhookSecret is required when {Section}:WebhookUrl is set (outside Development); set it in configuration or the environment (FlashSale__Notifications__WebhookSecret).";
        else if (Secrets.Weakness($"{Section}:WebhookSecret", WebhookSecret, MinWebhookSecretLength, production) is { } weakness)
            yield return weakness;
        if (WebhookRetryMax < WebhookRetryFirst) yield return $"{Section}:WebhookRetryMax must not be shorter than WebhookRetryFirst.";
    }
}
