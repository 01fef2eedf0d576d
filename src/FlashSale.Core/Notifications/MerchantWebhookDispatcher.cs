using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using FlashSale.Core.Payments;
using FlashSale.Core.Workers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Notifications;

/// <summary>What one pass did: events delivered, left for a retry, given up (dead), skipped (webhook off), deleted.</summary>
public readonly record struct WebhookPass(int Claimed, int Delivered, int Retried, int Dead, int Skipped, int Trimmed);

/// <summary>
/// The merchant's webhook (worker role): claims due outbox rows, POSTs each as
/// <c>{eventId, orderId, saleId, userId, status, refundStatus, occurredAt}</c> signed with <c>X-FlashSale-Signature</c>
/// (<see cref="WebhookSignature"/> under <see cref="NotificationOptions.WebhookSecret"/>) and <c>X-FlashSale-Event-Id</c>.
/// A 2xx answer delivers the event; anything else, a timeout or a refused connection retries it after
/// <see cref="NotificationOptions.RetryDelay"/>, up to <see cref="NotificationOptions.WebhookMaxAttempts"/> attempts, after
/// which the row is left dead. At least once: a worker killed between the POST and its record sends the event again once
/// the claim's lease has passed, so the merchant deduplicates by event id. With no webhook URL the rows are marked
/// delivered (skipped) instead; delivered rows are deleted after <see cref="NotificationOptions.DeliveredRetention"/>.
/// </summary>
public sealed class MerchantWebhookDispatcher : RepeatingWorker, IDisposable
{
    public const string EventIdHeader = "X-FlashSale-Event-Id";
    private static readonly TimeSpan TrimInterval = TimeSpan.FromMinutes(1);

    private readonly INotificationOutbox _outbox;
    private readonly NotificationOptions _options;
    private readonly ILogger<MerchantWebhookDispatcher> _logger;
    private readonly HttpClient? _http;
    private readonly Uri? _url;
    private readonly WebhookSignature? _signature;
    private DateTimeOffset _nextTrim;
    private long _dead;

    public MerchantWebhookDispatcher(INotificationOutbox outbox, IOptions<NotificationOptions> options, ILogger<MerchantWebhookDispatcher> logger, TimeProvider? time = null)
        : base(time)
    {
        (_outbox, _options, _logger) = (outbox, options.Value, logger);
        if (!_options.WebhookEnabled) return;
        _url = new Uri(_options.WebhookUrl!, UriKind.Absolute);
        _signature = new WebhookSignature(System.Text.Encoding.UTF8.GetBytes(_options.WebhookSecret!));
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) }) { Timeout = _options.WebhookTimeout };
    }

    /// <summary>Events given up since start.</summary>
    public long DeadEvents => Interlocked.Read(ref _dead);

    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
    {
        var pass = await DispatchAsync(stoppingToken).ConfigureAwait(false);
        return pass.Claimed + pass.Skipped >= _options.WebhookBatchSize ? Pass.More : Pass.Done;
    }

    protected override TimeSpan Pause(int failures) =>
        failures == 0 ? _options.OutboxPollInterval : Backoff.Doubling(_options.OutboxPollInterval, TimeSpan.FromMinutes(1)).Delay(failures + 1);

    protected override void LogFailure(Exception exception, int failures) =>
        _logger.LogWarning("Merchant webhook pass failed ({Failures} in a row): {Reason}", failures, exception.Message);

    /// <summary>One pass: a batch claimed and sent (or skipped), and delivered rows past their retention deleted (once a minute).
    /// Failures of the outbox are thrown; failures of the merchant are retries.</summary>
    public async Task<WebhookPass> DispatchAsync(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        var trimmed = 0;
        if (now >= _nextTrim)
        {
            _nextTrim = now + TrimInterval;
            trimmed = await _outbox.TrimAsync(now - _options.DeliveredRetention, 10 * _options.WebhookBatchSize, cancellationToken).ConfigureAwait(false);
        }
        if (_http is null)
        {
            var skipped = await _outbox.SkipAsync(_options.WebhookBatchSize, now, cancellationToken).ConfigureAwait(false);
            return new WebhookPass(0, 0, 0, 0, skipped, trimmed);
        }

        var batch = await _outbox.ClaimAsync(_options.WebhookBatchSize, now, now + _options.Lease(_options.WebhookBatchSize), cancellationToken).ConfigureAwait(false);
        int delivered = 0, retried = 0, dead = 0;
        await Parallel.ForEachAsync(batch, new ParallelOptions { MaxDegreeOfParallelism = _options.WebhookConcurrency, CancellationToken = cancellationToken },
            async (e, ct) =>
            {
                var error = await SendAsync(e, ct).ConfigureAwait(false);
                if (error is null)
                {
                    await _outbox.MarkDeliveredAsync(e.EventId, Time.GetUtcNow(), ct).ConfigureAwait(false);
                    Interlocked.Increment(ref delivered);
                }
                else if (e.Attempts >= _options.WebhookMaxAttempts)
                {
                    await _outbox.MarkDeadAsync(e.EventId, Time.GetUtcNow(), error, ct).ConfigureAwait(false);
                    Interlocked.Increment(ref dead);
                    Interlocked.Increment(ref _dead);
                    _logger.LogError("Merchant webhook event {EventId} (order {OrderId}, {Status}) given up after {Attempts} attempts: {Error}",
                        e.EventId, e.OrderId, e.Status, e.Attempts, error);
                }
                else
                {
                    await _outbox.MarkRetryAsync(e.EventId, Time.GetUtcNow() + _options.RetryDelay(e.Attempts), error, ct).ConfigureAwait(false);
                    Interlocked.Increment(ref retried);
                }
            }).ConfigureAwait(false);
        if (retried > 0) _logger.LogWarning("Merchant webhook: {Retried} of {Claimed} events not delivered; retrying later", retried, batch.Count);
        return new WebhookPass(batch.Count, delivered, retried, dead, 0, trimmed);
    }

    /// <summary>POSTs one event; null when the merchant answered 2xx, else why not.</summary>
    private async Task<string?> SendAsync(OutboxEvent e, CancellationToken cancellationToken)
    {
        var body = Body(e);
        using var request = new HttpRequestMessage(HttpMethod.Post, _url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add(WebhookSignature.HeaderName, _signature!.Sign(body));
        request.Headers.Add(EventIdHeader, e.EventId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            using var response = await _http!.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return ex is TaskCanceledException ? $"no answer within {_options.WebhookTimeout.TotalSeconds:0.#} s" : ex.Message;
        }
    }

    /// <summary>The JSON the merchant receives for <paramref name="e"/>, byte for byte what is signed.</summary>
    public static byte[] Body(OutboxEvent e)
    {
        static string Id(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return JsonSerializer.SerializeToUtf8Bytes(
            new MerchantWebhookBody(Id(e.EventId), Id(e.OrderId), Id(e.SaleId), e.UserId, e.Status, e.RefundStatus, e.OccurredAt),
            NotificationJson.Default.MerchantWebhookBody);
    }

    public override void Dispose()
    {
        _http?.Dispose();
        base.Dispose();
    }
}

/// <summary>The merchant webhook's body; ids are strings (64-bit ids are too big for JavaScript numbers).</summary>
public sealed record MerchantWebhookBody(string EventId, string OrderId, string SaleId, string UserId, string Status, string? RefundStatus, DateTimeOffset OccurredAt);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MerchantWebhookBody))]
public sealed partial class NotificationJson : JsonSerializerContext;
