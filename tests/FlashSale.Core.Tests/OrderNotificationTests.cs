using System.Net;
using System.Text;
using FlashSale.Core.Notifications;
using FlashSale.Core.Payments;
using FlashSale.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Tests;

public sealed class InProcessOrderNotifierTests
{
    [Fact]
    public async Task Every_subscriber_of_an_order_hears_its_changes_and_only_while_subscribed()
    {
        var notifier = new InProcessOrderNotifier();
        var first = new List<string>();
        var second = new List<string>();
        var other = new List<string>();
        var a = notifier.Subscribe(1, c => first.Add(c.Status));
        using var b = notifier.Subscribe(1, c => second.Add(c.Status));
        using var c = notifier.Subscribe(2, c => other.Add(c.Status));

        await notifier.PublishAsync(new OrderChanged(1, 10, "u", "pending_payment"), default);
        a.Dispose();
        a.Dispose();
        await notifier.PublishAsync(new OrderChanged(1, 10, "u", "paid"), default);
        await notifier.PublishAsync(new OrderChanged(3, 10, "u", "paid"), default);

        first.Should().Equal("pending_payment");
        second.Should().Equal("pending_payment", "paid");
        other.Should().BeEmpty();
    }
}

/// <summary>The merchant webhook's policy against a real HTTP receiver on loopback and an outbox in memory.</summary>
public sealed class MerchantWebhookDispatcherTests : IDisposable
{
    private const string Secret = "merchant-webhook-secret-0123456789abcdef";
    private readonly ManualTime _time = new();
    private readonly MemoryOutbox _outbox = new();
    private readonly WebhookReceiver _receiver = new WebhookReceiver().Start();

    public void Dispose() => _receiver.Dispose();

    private MerchantWebhookDispatcher Dispatcher(int maxAttempts = 3, string? url = "") => new(_outbox, Options.Create(new NotificationOptions
    {
        WebhookUrl = url == "" ? _receiver.Url : url,
        WebhookSecret = Secret,
        WebhookMaxAttempts = maxAttempts,
        WebhookRetryFirst = TimeSpan.FromSeconds(1),
        WebhookRetryMax = TimeSpan.FromSeconds(60),
        WebhookTimeout = TimeSpan.FromSeconds(2),
    }), NullLogger<MerchantWebhookDispatcher>.Instance, _time);

    [Fact]
    public async Task A_refused_event_is_retried_with_a_doubling_backoff_and_delivered_once_the_merchant_answers_2xx()
    {
        var e = _outbox.Add(orderId: 42, "pending_payment");
        using var dispatcher = Dispatcher(maxAttempts: 5);

        _receiver.Answer = HttpStatusCode.InternalServerError;
        (await dispatcher.DispatchAsync(default)).Retried.Should().Be(1);
        _outbox.Row(e).NextAttemptAt.Should().Be(_time.GetUtcNow() + TimeSpan.FromSeconds(1));
        (await dispatcher.DispatchAsync(default)).Claimed.Should().Be(0, "not due before its backoff");
        _time.Advance(TimeSpan.FromSeconds(1));
        (await dispatcher.DispatchAsync(default)).Retried.Should().Be(1);
        _outbox.Row(e).NextAttemptAt.Should().Be(_time.GetUtcNow() + TimeSpan.FromSeconds(2), "the wait doubles");
        _outbox.Row(e).LastError.Should().Be("HTTP 500");

        _receiver.Answer = HttpStatusCode.NoContent;
        _time.Advance(TimeSpan.FromSeconds(2));
        (await dispatcher.DispatchAsync(default)).Delivered.Should().Be(1);
        _outbox.Row(e).DeliveredAt.Should().NotBeNull();
        _time.Advance(TimeSpan.FromHours(1));
        (await dispatcher.DispatchAsync(default)).Claimed.Should().Be(0, "a delivered event is never sent again");

        _receiver.Requests.Should().HaveCount(3);
        var last = _receiver.Requests[^1];
        var eventId = last.Header(MerchantWebhookDispatcher.EventIdHeader)!;
        eventId.Should().Be(e.ToString(System.Globalization.CultureInfo.InvariantCulture));
        new WebhookSignature(Encoding.UTF8.GetBytes(Secret)).Verify(last.Body, last.Header(WebhookSignature.HeaderName)).Should().Be(SignatureCheck.Valid);
        var json = System.Text.Json.Nodes.JsonNode.Parse(last.Body)!;
        (json["eventId"]!.GetValue<string>(), json["orderId"]!.GetValue<string>(), json["saleId"]!.GetValue<string>(), json["status"]!.GetValue<string>())
            .Should().Be((eventId, "42", "7", "pending_payment"));
        json.AsObject().Should().ContainKeys("userId", "refundStatus", "occurredAt");
    }

    [Fact]
    public async Task A_merchant_that_cannot_be_reached_counts_as_a_failure_and_an_event_out_of_attempts_stays_dead()
    {
        var e = _outbox.Add(orderId: 43, "cancelled");
        using var dispatcher = Dispatcher(maxAttempts: 2, url: "http://127.0.0.1:1/hook");

        (await dispatcher.DispatchAsync(default)).Retried.Should().Be(1);
        _time.Advance(TimeSpan.FromMinutes(1));
        (await dispatcher.DispatchAsync(default)).Dead.Should().Be(1);

        _outbox.Row(e).DeadAt.Should().NotBeNull();
        dispatcher.DeadEvents.Should().Be(1);
        _time.Advance(TimeSpan.FromDays(1));
        (await dispatcher.DispatchAsync(default)).Claimed.Should().Be(0, "a dead event is not claimed again");
    }

    [Fact]
    public async Task With_no_webhook_the_outbox_is_skipped_and_then_trimmed()
    {
        _outbox.Add(orderId: 44, "pending_payment");
        using var dispatcher = Dispatcher(url: null);

        (await dispatcher.DispatchAsync(default)).Skipped.Should().Be(1);
        _time.Advance(TimeSpan.FromHours(2));
        (await dispatcher.DispatchAsync(default)).Trimmed.Should().Be(1);
        _receiver.Requests.Should().BeEmpty();
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    /// <summary>The outbox's contract in memory: due rows only, each claim an attempt and a lease.</summary>
    private sealed class MemoryOutbox : INotificationOutbox
    {
        public sealed class Entry(OutboxEvent e)
        {
            public OutboxEvent Event { get; set; } = e;
            public DateTimeOffset NextAttemptAt { get; set; }
            public DateTimeOffset? DeliveredAt { get; set; }
            public DateTimeOffset? DeadAt { get; set; }
            public string? LastError { get; set; }
        }

        private readonly List<Entry> _rows = [];

        public long Add(long orderId, string status)
        {
            lock (_rows)
            {
                var e = new OutboxEvent(_rows.Count + 1, orderId, 7, "zoë", status, null, DateTimeOffset.UnixEpoch, 0);
                _rows.Add(new Entry(e));
                return e.EventId;
            }
        }

        public Entry Row(long id) { lock (_rows) return _rows.Single(r => r.Event.EventId == id); }

        public Task<IReadOnlyList<OutboxEvent>> ClaimAsync(int limit, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
        {
            lock (_rows)
            {
                var due = _rows.Where(r => r.DeliveredAt is null && r.DeadAt is null && r.NextAttemptAt <= now).Take(limit).ToList();
                foreach (var r in due)
                {
                    r.Event = r.Event with { Attempts = r.Event.Attempts + 1 };
                    r.NextAttemptAt = leaseUntil;
                }
                return Task.FromResult<IReadOnlyList<OutboxEvent>>(due.Select(r => r.Event).ToList());
            }
        }

        public Task MarkDeliveredAsync(long eventId, DateTimeOffset now, CancellationToken cancellationToken) { Row(eventId).DeliveredAt = now; return Task.CompletedTask; }

        public Task MarkRetryAsync(long eventId, DateTimeOffset nextAttemptAt, string error, CancellationToken cancellationToken)
        {
            var r = Row(eventId);
            (r.NextAttemptAt, r.LastError) = (nextAttemptAt, error);
            return Task.CompletedTask;
        }

        public Task MarkDeadAsync(long eventId, DateTimeOffset now, string error, CancellationToken cancellationToken)
        {
            var r = Row(eventId);
            (r.DeadAt, r.LastError) = (now, error);
            return Task.CompletedTask;
        }

        public Task<int> SkipAsync(int limit, DateTimeOffset now, CancellationToken cancellationToken)
        {
            lock (_rows)
            {
                var waiting = _rows.Where(r => r.DeliveredAt is null && r.DeadAt is null).Take(limit).ToList();
                foreach (var r in waiting) r.DeliveredAt = now;
                return Task.FromResult(waiting.Count);
            }
        }

        public Task<int> TrimAsync(DateTimeOffset deliveredBefore, int limit, CancellationToken cancellationToken)
        {
            lock (_rows) return Task.FromResult(_rows.RemoveAll(r => r.DeliveredAt < deliveredBefore));
        }
    }
}
