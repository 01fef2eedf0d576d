using System.Collections.Concurrent;
using FlashSale.Core.Notifications;
using FlashSale.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace FlashSale.Adapters.Tests;

/// <summary>Order change signals across processes (Redis pub/sub): a writer's batch is one message, and every receiver reads
/// both a batch and the one-change message.</summary>
public sealed class RedisOrderNotifierTests : IAsyncLifetime
{
    private const string OddUser = "买家|ü 😀|x";
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(TestEnvironment.Redis);
    private readonly InProcessOrderNotifier _publisherLocal = new(), _receiverLocal = new();
    private RedisOrderNotifier _publisher = null!, _receiver = null!;

    public async Task InitializeAsync()
    {
        _publisher = new RedisOrderNotifier(_redis, _publisherLocal, TimeProvider.System, NullLogger<RedisOrderNotifier>.Instance);
        _receiver = new RedisOrderNotifier(_redis, _receiverLocal, TimeProvider.System, NullLogger<RedisOrderNotifier>.Instance);
        await _publisher.StartAsync(default);
        await _receiver.StartAsync(default);
    }

    public async Task DisposeAsync()
    {
        await _receiver.StopAsync(default);
        await _publisher.StopAsync(default);
        _receiver.Dispose();
        _publisher.Dispose();
        _redis.Dispose();
    }

    [Fact]
    public void A_batch_is_one_line_per_change_and_reads_back_whole()
    {
        OrderChanged[] changes = [new(1, 10, OddUser, "pending_payment"), new(2, 10, "bob", "failed"), new(3, 11, "", "paid")];

        var message = RedisOrderNotifier.Format(changes);

        message.Split('\n').Should().Equal("1|10|pending_payment|" + OddUser, "2|10|failed|bob", "3|11|paid|");
        RedisOrderNotifier.Parse(message).Should().Equal(changes);
        RedisOrderNotifier.Parse(RedisOrderNotifier.Format(changes[0])).Should().Equal(changes[0]);
    }

    [Fact]
    public void A_malformed_line_is_reported_and_the_well_formed_ones_are_still_handed_over()
    {
        var heard = new List<OrderChanged>();

        RedisOrderNotifier.Read("1|10|paid|ann\nnot a change\n-3|10|paid|x\n4|10||y\n5|10|failed|eve"u8, _ => true, heard.Add).Should().BeFalse();
        heard.Should().Equal(new OrderChanged(1, 10, "ann", "paid"), new OrderChanged(5, 10, "eve", "failed"));
        RedisOrderNotifier.Parse("").Should().BeNull();
    }

    [Fact]
    public async Task A_batch_published_by_one_process_reaches_the_followers_of_its_orders_in_every_process()
    {
        var id = TestEnvironment.NewId();
        var heard = new ConcurrentQueue<OrderChanged>();
        var ownHeard = new ConcurrentQueue<OrderChanged>();
        using var probe = _receiverLocal.Subscribe(id, heard.Enqueue);
        using var first = _receiverLocal.Subscribe(id + 1, heard.Enqueue);
        using var second = _receiverLocal.Subscribe(id + 3, heard.Enqueue);
        using var own = _publisherLocal.Subscribe(id + 2, ownHeard.Enqueue);
        await SubscribedAsync(id, heard);

        await _publisher.PublishBatchAsync([new(id + 1, 7, OddUser, "pending_payment"), new(id + 2, 7, "bob", "pending_payment"),
            new(id + 3, 7, "carol", "pending_payment"), new(id + 4, 7, "dave", "pending_payment")], default);

        (await EventuallyAsync(() => heard.Count == 2 && ownHeard.Count == 1)).Should().BeTrue();
        heard.Should().Equal(new OrderChanged(id + 1, 7, OddUser, "pending_payment"), new OrderChanged(id + 3, 7, "carol", "pending_payment"));
        ownHeard.Should().Equal(new OrderChanged(id + 2, 7, "bob", "pending_payment"));
        _publisher.Dropped.Should().Be(0);
    }

    [Fact]
    public async Task A_message_of_one_change_in_the_earlier_format_is_still_heard()
    {
        var id = TestEnvironment.NewId();
        var heard = new ConcurrentQueue<OrderChanged>();
        using var probe = _receiverLocal.Subscribe(id, heard.Enqueue);
        using var followed = _receiverLocal.Subscribe(id + 1, heard.Enqueue);
        await SubscribedAsync(id, heard);

        await _redis.GetSubscriber().PublishAsync(RedisKeys.OrderEvents, $"{id + 1}|7|cancelled|{OddUser}");

        (await EventuallyAsync(() => !heard.IsEmpty)).Should().BeTrue();
        heard.Should().Equal(new OrderChanged(id + 1, 7, OddUser, "cancelled"));
    }

    /// <summary>Publishes a change of <paramref name="probe"/> until the receiver hears it (its subscription is asynchronous), then forgets it.</summary>
    private async Task SubscribedAsync(long probe, ConcurrentQueue<OrderChanged> heard)
    {
        for (var i = 0; i < 100 && heard.IsEmpty; i++)
        {
            await _publisher.PublishAsync(new OrderChanged(probe, 0, "probe", "paid"), default);
            await Task.Delay(50);
        }
        heard.Should().NotBeEmpty("the receiver subscribes within seconds");
        await Task.Delay(200);
        heard.Clear();
    }

    private static async Task<bool> EventuallyAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (condition()) return true;
            await Task.Delay(50);
        }
        return condition();
    }
}
