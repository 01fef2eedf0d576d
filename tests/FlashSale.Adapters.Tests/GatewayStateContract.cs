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
    protected abstract IBlacklist Blacklist { get; }

    protected static string Key() => "contract-" + TestEnvironment.NewId();

    /// <summary>Address space no other test run uses: 10.a.b.0/24 and fd00:a:b::/48 (private ranges, shared Redis).</summary>
    protected static (string V4, string V6) Space()
    {
        var n = TestEnvironment.NewId();
        var (a, b) = ((int)(n >> 8 & 0xFF), (int)(n & 0xFF));
        return ($"10.{a}.{b}", $"fd00:{a:x}:{b:x}");
    }

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

    [Fact]
    public async Task A_range_entry_blocks_every_address_in_it_and_nothing_else()
    {
        var (v4, v6) = Space();
        await Blacklist.AddAsync(new BlacklistEntry(BlacklistKind.Ip, $"{v4}.0/24", null, "range"), default);
        await Blacklist.AddAsync(new BlacklistEntry(BlacklistKind.Ip, $"{v6}::/48", DateTimeOffset.UtcNow.AddMinutes(5), null), default);
        await Blacklist.AddAsync(new BlacklistEntry(BlacklistKind.Ip, $"{v6}:9::/64", DateTimeOffset.UtcNow.AddMinutes(-1), "expired"), default);
        try
        {
            Blacklist.IsBlocked(ClientIp.Parse($"{v4}.1")).Should().BeTrue();
            Blacklist.IsBlocked(ClientIp.Parse($"{v4}.255")).Should().BeTrue();
            Blacklist.IsBlocked(ClientIp.Parse($"::ffff:{v4}.7")).Should().BeTrue("a mapped address is its IPv4 address");
            Blacklist.IsBlocked(BlacklistKind.Ip, $"{v4}.8").Should().BeTrue();
            Blacklist.IsBlocked(ClientIp.Parse($"{v6}:ffff::1")).Should().BeTrue();
            Blacklist.IsBlocked(ClientIp.Parse("10.255.255.254")).Should().BeFalse();
            Blacklist.IsBlocked(ClientIp.Parse($"fd01:{v6[5..]}::1")).Should().BeFalse();
            Blacklist.IsBlocked(ClientIp.Unknown).Should().BeFalse();

            (await Blacklist.RemoveAsync(BlacklistKind.Ip, $"{v4}.0/24", default)).Should().BeTrue();
            Blacklist.IsBlocked(ClientIp.Parse($"{v4}.1")).Should().BeFalse("removing the entry lifts it at once");
            (await Blacklist.ListAsync(default)).Should().NotContain(e => e.Value == $"{v6}:9::/64", "an expired entry is not listed");
        }
        finally
        {
            await Blacklist.RemoveAsync(BlacklistKind.Ip, $"{v6}::/48", default);
        }
    }

    [Fact]
    public async Task Checking_a_caller_against_the_blacklist_allocates_nothing()
    {
        var (v4, v6) = Space();
        string[] values = [$"{v4}.0/24", $"{v4}.9", $"{v6}::/48", $"{v6}:1::/64", $"{v4}.128/25"];
        foreach (var value in values) await Blacklist.AddAsync(new BlacklistEntry(BlacklistKind.Ip, value, null, null), default);
        try
        {
            var clients = new[] { ClientIp.Parse($"{v4}.9"), ClientIp.Parse("192.0.2.1"), ClientIp.Parse($"{v6}:2::5"), ClientIp.Parse("2001:db8::1") };
            var blocked = 0;
            long Round()
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < 10_000; i++)
                {
                    foreach (var client in clients) blocked += Blacklist.IsBlocked(client) ? 1 : 0;
                    blocked += Blacklist.IsBlocked(BlacklistKind.User, "someone") ? 1 : 0;
                }
                return GC.GetAllocatedBytesForCurrentThread() - before;
            }
            Round(); // warmed up (tiered compilation)

            // The least of three rounds of 50,000 checks: the runtime may allocate a few bytes of its own once in a while;
            // a check that allocated would show in every round (at least 50,000 times its allocation).
            new[] { Round(), Round(), Round() }.Min().Should().Be(0);
            blocked.Should().Be(4 * 2 * 10_000, "two of the four clients are in a blocked range");
        }
        finally
        {
            foreach (var value in values) await Blacklist.RemoveAsync(BlacklistKind.Ip, value, default);
        }
    }
}

public sealed class InMemoryGatewayStateContract : GatewayStateContract
{
    protected override IRateWindow Windows { get; } = new InMemoryRateWindow(TimeProvider.System);
    protected override IOnceStore Once { get; } = new InMemoryOnceStore(TimeProvider.System);
    protected override IRiskSignals Signals { get; } = new InMemoryRiskSignals(TimeProvider.System);
    protected override IBlacklist Blacklist { get; } = new InMemoryBlacklist(TimeProvider.System);
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
        Blacklist = new RedisBlacklist(connection, TimeProvider.System);
        _connection = connection;
    }

    private readonly RedisConnection _connection;

    protected override IRateWindow Windows { get; }
    protected override IOnceStore Once { get; }
    protected override IRiskSignals Signals { get; }
    protected override IBlacklist Blacklist { get; }

    [Fact]
    public async Task An_entry_added_through_one_process_is_enforced_by_another_and_expired_ones_leave_the_hash()
    {
        var (v4, _) = Space();
        var other = new RedisBlacklist(_connection, TimeProvider.System);
        await Blacklist.AddAsync(new BlacklistEntry(BlacklistKind.Ip, $"{v4}.0/24", null, null), default);
        await Blacklist.AddAsync(new BlacklistEntry(BlacklistKind.Ip, $"{v4}.7", DateTimeOffset.UtcNow.AddMilliseconds(200), null), default);
        try
        {
            await other.RefreshAsync(default);
            other.IsBlocked(ClientIp.Parse($"{v4}.99")).Should().BeTrue();

            await Task.Delay(300);
            await other.AddAsync(new BlacklistEntry(BlacklistKind.User, Key(), DateTimeOffset.UtcNow.AddSeconds(5), null), default);

            (await _redis.GetDatabase(1).HashExistsAsync(RedisKeys.Blacklist, $"ip:{v4}.7")).Should().BeFalse("an entry past its expiry leaves the hash at the next addition");
            (await _redis.GetDatabase(1).HashExistsAsync(RedisKeys.Blacklist, $"ip:{v4}.0/24")).Should().BeTrue();
        }
        finally
        {
            await Blacklist.RemoveAsync(BlacklistKind.Ip, $"{v4}.0/24", default);
        }
    }

    public void Dispose() => _redis.Dispose();
}
