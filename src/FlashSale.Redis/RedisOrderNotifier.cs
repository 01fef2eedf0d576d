using System.Buffers.Text;
using System.Globalization;
using System.Text;
using FlashSale.Core.Notifications;
using FlashSale.Core.Orders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>
/// Live order changes across processes: <see cref="PublishAsync"/> and <see cref="PublishBatchAsync"/> send changes to Redis
/// pub/sub (<see cref="RedisKeys.OrderEvents"/>, fire and forget: the order writer does not wait for it; a writer's batch is
/// one message), and every process's subscription hands each change, its own included, to its
/// <see cref="InProcessOrderNotifier"/> when anyone there follows that order; a change is therefore never delivered
/// locally a second time by the publisher. Best effort: with Redis down a change is dropped (logged at most once per
/// <see cref="LogEvery"/>) and order streams see it at their next re-read.
/// Message: one change per line (<c>\n</c> between them), each <c>orderId|saleId|status|userId</c> (the user id last, so it
/// may hold any character but a control character, which no user id holds); a message of one change is one such line.
/// </summary>
public sealed class RedisOrderNotifier : BackgroundService, IOrderNotifier
{
    public static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SubscribeRetry = TimeSpan.FromSeconds(2);
    private readonly IConnectionMultiplexer _redis;
    private readonly TimeProvider _time;
    private readonly ILogger<RedisOrderNotifier> _logger;
    private readonly Func<long, bool> _followed;
    private readonly Action<OrderChanged> _deliver;
    private long _nextLogTicks;
    private long _dropped;

    public RedisOrderNotifier(IConnectionMultiplexer redis, InProcessOrderNotifier local, TimeProvider time, ILogger<RedisOrderNotifier> logger)
    {
        (_redis, _time, _logger) = (redis, time, logger);
        _followed = local.HasSubscribers;
        _deliver = local.Deliver;
    }

    /// <summary>Changes dropped because Redis could not take them.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public ValueTask PublishAsync(OrderChanged change, CancellationToken cancellationToken)
    {
        Send(Format(change), 1);
        return ValueTask.CompletedTask;
    }

    public ValueTask PublishBatchAsync(IReadOnlyList<OrderChanged> changes, CancellationToken cancellationToken)
    {
        if (changes.Count > 0) Send(Format(changes), changes.Count);
        return ValueTask.CompletedTask;
    }

    private void Send(string message, int changes)
    {
        try
        {
            // FireAndForget: queued on the connection, no round trip awaited; a dead connection throws here.
            _redis.GetSubscriber().Publish(RedisKeys.OrderEvents, message, CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Interlocked.Add(ref _dropped, changes);
            var now = _time.GetUtcNow().UtcTicks;
            var next = Interlocked.Read(ref _nextLogTicks);
            if (now >= next && Interlocked.CompareExchange(ref _nextLogTicks, now + LogEvery.Ticks, next) == next)
            {
                _logger.LogWarning("Order change signals are being dropped ({Dropped} so far): Redis pub/sub unavailable ({Reason}); order streams fall back on re-reading",
                    Dropped, ex.Message);
            }
        }
    }

    /// <summary>Subscribes (retrying until Redis answers); the multiplexer subscribes again by itself after a reconnect.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscriber = _redis.GetSubscriber();
        for (var failures = 0; ; failures++)
        {
            try
            {
                await subscriber.SubscribeAsync(RedisKeys.OrderEvents, (_, message) => Receive(message)).WaitAsync(SubscribeRetry * 5, stoppingToken).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (failures == 0) _logger.LogWarning("Cannot subscribe to order change signals yet ({Reason}); retrying", ex.Message);
                await Task.Delay(SubscribeRetry, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        try
        {
            await subscriber.UnsubscribeAsync(RedisKeys.OrderEvents).WaitAsync(SubscribeRetry).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            // Stopping anyway: the connection goes with the process.
        }
    }

    private void Receive(RedisValue message)
    {
        if (!Read((byte[]?)message, _followed, _deliver)) // the client hands a message's bytes over as they came
            _logger.LogWarning("Ignored a malformed order change signal: {Message}", (string?)message);
    }

    internal static string Format(OrderChanged change) => Format([change]);

    internal static string Format(IReadOnlyList<OrderChanged> changes)
    {
        var text = new StringBuilder(changes.Count * 64);
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            if (i > 0) text.Append('\n');
            text.Append(CultureInfo.InvariantCulture, $"{change.OrderId}|{change.SaleId}|{change.Status}|{change.UserId}");
        }
        return text.ToString();
    }

    /// <summary>Every change of <paramref name="message"/>, or null when any line of it is malformed.</summary>
    internal static List<OrderChanged>? Parse(string message)
    {
        var changes = new List<OrderChanged>();
        return Read(Encoding.UTF8.GetBytes(message), static _ => true, changes.Add) ? changes : null;
    }

    /// <summary>
    /// Hands each change of <paramref name="message"/> whose order is <paramref name="followed"/> to <paramref name="deliver"/>
    /// (a change nobody follows is checked, not built); false when the message holds no change or a malformed line (the
    /// well-formed ones are handed over all the same).
    /// </summary>
    internal static bool Read(ReadOnlySpan<byte> message, Func<long, bool> followed, Action<OrderChanged> deliver)
    {
        var wellFormed = true;
        var any = false;
        while (true)
        {
            var end = message.IndexOf((byte)'\n');
            var line = end < 0 ? message : message[..end];
            if (!line.IsEmpty)
            {
                any = true;
                wellFormed &= ReadLine(line, followed, deliver);
            }
            if (end < 0) return wellFormed && any;
            message = message[(end + 1)..];
        }
    }

    private static bool ReadLine(ReadOnlySpan<byte> line, Func<long, bool> followed, Action<OrderChanged> deliver)
    {
        if (!ReadNumber(ref line, out var orderId) || !ReadNumber(ref line, out var saleId)) return false;
        var bar = line.IndexOf((byte)'|');
        if (bar <= 0) return false;
        if (followed(orderId)) deliver(new OrderChanged(orderId, saleId, Encoding.UTF8.GetString(line[(bar + 1)..]), Status(line[..bar])));
        return true;
    }

    /// <summary>Digits up to the next '|', which is consumed with them.</summary>
    private static bool ReadNumber(ref ReadOnlySpan<byte> line, out long value)
    {
        value = 0;
        var bar = line.IndexOf((byte)'|');
        if (bar <= 0 || line[0] is < (byte)'0' or > (byte)'9' || !Utf8Parser.TryParse(line[..bar], out value, out var used) || used != bar) return false;
        line = line[(bar + 1)..];
        return true;
    }

    private static string Status(ReadOnlySpan<byte> status) =>
        status.SequenceEqual("pending_payment"u8) ? OrderStatus.PendingPayment
        : status.SequenceEqual("paid"u8) ? OrderStatus.Paid
        : status.SequenceEqual("cancelled"u8) ? OrderStatus.Cancelled
        : status.SequenceEqual("failed"u8) ? OrderStatus.Failed
        : Encoding.UTF8.GetString(status);
}
