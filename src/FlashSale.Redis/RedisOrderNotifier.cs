using System.Globalization;
using FlashSale.Core.Notifications;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>
/// Live order changes across processes: <see cref="PublishAsync"/> sends a change to Redis pub/sub
/// (<see cref="RedisKeys.OrderEvents"/>, fire and forget: the order writer does not wait for it), and every process's
/// subscription hands each message, its own included, to its <see cref="InProcessOrderNotifier"/>; a change is
/// therefore never delivered locally a second time by the publisher. Best effort: with Redis down a change is dropped
/// (logged at most once per <see cref="LogEvery"/>) and order streams see it at their next re-read.
/// Message: <c>orderId|saleId|status|userId</c> (the user id last, so it may hold any character).
/// </summary>
public sealed class RedisOrderNotifier(IConnectionMultiplexer redis, InProcessOrderNotifier local, TimeProvider time, ILogger<RedisOrderNotifier> logger)
    : BackgroundService, IOrderNotifier
{
    public static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan SubscribeRetry = TimeSpan.FromSeconds(2);
    private long _nextLogTicks;
    private long _dropped;

    /// <summary>Changes dropped because Redis could not take them.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public ValueTask PublishAsync(OrderChanged change, CancellationToken cancellationToken)
    {
        try
        {
            // FireAndForget: queued on the connection, no round trip awaited; a dead connection throws here.
            redis.GetSubscriber().Publish(RedisKeys.OrderEvents, Format(change), CommandFlags.FireAndForget);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            Interlocked.Increment(ref _dropped);
            var now = time.GetUtcNow().UtcTicks;
            var next = Interlocked.Read(ref _nextLogTicks);
            if (now >= next && Interlocked.CompareExchange(ref _nextLogTicks, now + LogEvery.Ticks, next) == next)
            {
                logger.LogWarning("Order change signals are being dropped ({Dropped} so far): Redis pub/sub unavailable ({Reason}); order streams fall back on re-reading",
                    Dropped, ex.Message);
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Subscribes (retrying until Redis answers); the multiplexer subscribes again by itself after a reconnect.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscriber = redis.GetSubscriber();
        for (var failures = 0; ; failures++)
        {
            try
            {
                await subscriber.SubscribeAsync(RedisKeys.OrderEvents, (_, message) => Receive(message)).WaitAsync(SubscribeRetry * 5, stoppingToken).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                if (failures == 0) logger.LogWarning("Cannot subscribe to order change signals yet ({Reason}); retrying", ex.Message);
                await Task.Delay(SubscribeRetry, time, stoppingToken).ConfigureAwait(false);
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
        if (Parse(message) is { } change) local.Deliver(change);
        else logger.LogWarning("Ignored a malformed order change signal: {Message}", (string?)message);
    }

    internal static string Format(OrderChanged change) =>
        string.Create(CultureInfo.InvariantCulture, $"{change.OrderId}|{change.SaleId}|{change.Status}|{change.UserId}");

    internal static OrderChanged? Parse(string? message)
    {
        if (message is null) return null;
        var parts = message.Split('|', 4);
        return parts.Length == 4
               && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var orderId)
               && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var saleId)
               && parts[2].Length > 0
            ? new OrderChanged(orderId, saleId, parts[3], parts[2])
            : null;
    }
}
