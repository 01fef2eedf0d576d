using FlashSale.Core.Gateway;
using FlashSale.Redis;
using StackExchange.Redis;

namespace FlashSale.Adapters.Tests;

/// <summary>The gateway's shared state behaves alike in memory (embedded) and in Redis (distributed).</summary>
public abstract class GatewayStateContract
{
    protected abstract IRateWindow Windows { get; }
    protected abstract IOnceStore Once { get; }
    protected abstract IRiskSignals Signals { get; }

    private static string Key() => "contract-" + TestEnvironment.NewId();

    [Fact]
    public async Task Exactly_the_limit_passes_in_a_window_even_when_hits_race()
    {
        var key = Key();
        var decisions = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Task.Run(async () => await Windows.TryHitAsync(key, 25, TimeSpan.FromSeconds(30), default))));

        decisions.Count(d => d.Allowed).Should().Be(25);
        decisions.Where(d => d.Allowed).Select(d => d.Count).Should().BeEquivalentTo(Enumerable.Range(1, 25).Select(i => (long)i));
        decisions.Where(d => !d.Allowed).Should().OnlyContain(d => d.RetryAfter > TimeSpan.Zero && d.RetryAfter <= TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task The_window_slides()
    {
        var key = Key();
        (await Windows.TryHitAsync(key, 1, TimeSpan.FromMilliseconds(300), default)).Allowed.Should().BeTrue();
        (await Windows.TryHitAsync(key, 1, TimeSpan.FromMilliseconds(300), default)).Allowed.Should().BeFalse();
        await Task.Delay(400);
        (await Windows.TryHitAsync(key, 1, TimeSpan.FromMilliseconds(300), default)).Allowed.Should().BeTrue();
    }

    [Fact]
    public async Task A_key_is_used_once_except_by_its_own_owner()
    {
        var key = Key();
        var owners = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () => (i, await Once.TryUseAsync(key, $"owner{i}", TimeSpan.FromMinutes(1), default)))));

        var winner = owners.Should().ContainSingle(o => o.Item2).Subject.i;
        (await Once.TryUseAsync(key, $"owner{winner}", TimeSpan.FromMinutes(1), default)).Should().BeTrue("the same owner may come back");
    }

    [Fact]
    public async Task Distinct_devices_per_user_and_users_per_ip_are_counted()
    {
        var user = Key();
        var ip = Key();
        await Signals.RecordAsync(user, ip, "d1", TimeSpan.FromMinutes(1), default);
        await Signals.RecordAsync(user, ip, "d1", TimeSpan.FromMinutes(1), default);
        await Signals.RecordAsync(user, ip, "d2", TimeSpan.FromMinutes(1), default);
        await Signals.RecordAsync(user + "-b", ip, null, TimeSpan.FromMinutes(1), default);

        var (devices, users) = await Signals.RecordAsync(user, ip, null, TimeSpan.FromMinutes(1), default);

        devices.Should().Be(2);
        users.Should().Be(2);
    }
}

public sealed class InMemoryGatewayStateContract : GatewayStateContract
{
    protected override IRateWindow Windows { get; } = new InMemoryRateWindow(TimeProvider.System);
    protected override IOnceStore Once { get; } = new InMemoryOnceStore(TimeProvider.System);
    protected override IRiskSignals Signals { get; } = new InMemoryRiskSignals(TimeProvider.System);
}

public sealed class RedisGatewayStateContract : GatewayStateContract, IDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(TestEnvironment.Redis + ",defaultDatabase=1");

    public RedisGatewayStateContract()
    {
        var connection = new RedisConnection(_redis);
        Windows = new RedisRateWindow(connection);
        Once = new RedisOnceStore(connection);
        Signals = new RedisRiskSignals(connection);
    }

    protected override IRateWindow Windows { get; }
    protected override IOnceStore Once { get; }
    protected override IRiskSignals Signals { get; }

    public void Dispose() => _redis.Dispose();
}
