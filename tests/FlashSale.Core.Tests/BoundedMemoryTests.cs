using System.Reflection;
using FlashSale.Core.Gateway;
using FlashSale.Core.Ids;
using FlashSale.Core.Orders;
using FlashSale.Core.Sales;

namespace FlashSale.Core.Tests;

/// <summary>In-process caches a caller can grow: each forgets what is past its window, whatever the traffic.</summary>
public sealed class BoundedMemoryTests
{
    private readonly ManualTime _time = new();

    [Fact]
    public async Task The_rate_window_forgets_visitors_whose_hits_are_past_the_window()
    {
        var window = new InMemoryRateWindow(_time);
        for (var i = 0; i < 1_000; i++) await window.TryHitAsync($"ip:{i}", 10, TimeSpan.FromSeconds(1), default);
        window.Count.Should().Be(1_000);

        _time.Advance(TimeSpan.FromSeconds(3));
        await window.TryHitAsync("ip:new", 10, TimeSpan.FromSeconds(1), default);

        window.Count.Should().Be(1, "a thousand one-time visitors do not stay in memory");
    }

    [Fact]
    public async Task A_long_window_in_use_keeps_no_short_windowed_key_past_its_own_window()
    {
        var window = new InMemoryRateWindow(_time);
        await window.TryHitAsync("challenge-user:someone", 20, TimeSpan.FromMinutes(1), default);
        for (var i = 0; i < 1_000; i++) await window.TryHitAsync($"ip:{i}", 10, TimeSpan.FromSeconds(1), default);

        _time.Advance(TimeSpan.FromSeconds(3));
        await window.TryHitAsync("ip:new", 10, TimeSpan.FromSeconds(1), default);

        window.Count.Should().Be(2, "the minute-long key is still in its window; the one-second visitors are not");
    }

    [Fact]
    public async Task A_flood_of_unknown_sale_ids_keeps_the_catalog_bounded()
    {
        var store = SaleLookups.Create();
        var catalog = new SaleCatalog(store, _time);
        var random = new Random(11);
        var pastMs = (long)(_time.GetUtcNow() - SnowflakeIdGenerator.Epoch).TotalMilliseconds;

        // Ids any generator could have made (a past millisecond, any worker and sequence), each new.
        for (var i = 0; i < 100_000; i++)
        {
            var id = (random.NextInt64(pastMs) << (SnowflakeIdGenerator.WorkerBits + SnowflakeIdGenerator.SequenceBits)) | (long)i;
            (await catalog.FindAsync(id, default)).Should().BeNull();
        }

        catalog.Count.Should().BeLessThanOrEqualTo(SaleCatalog.MissCapacity, "a hundred thousand made-up ids hold a fixed table, not a hundred thousand entries");
        var asked = SaleLookups.Of(store);
        asked.Should().Be(100_000);
        const long repeated = 1L << 40;
        await catalog.FindAsync(repeated, default);
        await catalog.FindAsync(repeated, default);
        SaleLookups.Of(store).Should().Be(asked + 1, "an unknown id asked again within a second is answered from memory");
    }

    [Fact]
    public async Task Ids_no_generator_could_have_issued_yet_never_reach_the_database()
    {
        var store = SaleLookups.Create();
        var catalog = new SaleCatalog(store, _time);
        var inAnHour = new SnowflakeIdGenerator(3, new FixedTime(_time.GetUtcNow().AddHours(1))).NextId();

        foreach (var id in new[] { 0, -1, long.MinValue, long.MaxValue, inAnHour })
        {
            (await catalog.FindAsync(id, default)).Should().BeNull();
        }

        SaleLookups.Of(store).Should().Be(0);
        catalog.Count.Should().Be(0);
        var justNow = new SnowflakeIdGenerator(3, new FixedTime(_time.GetUtcNow().AddSeconds(5))).NextId();
        await catalog.FindAsync(justNow, default);
        SaleLookups.Of(store).Should().Be(1, "an id from another process whose clock runs a little ahead is looked up");
    }

    [Fact]
    public async Task The_once_store_forgets_used_tokens_past_their_lifetime()
    {
        var once = new InMemoryOnceStore(_time);
        for (var i = 0; i < 1_000; i++) (await once.TryUseAsync($"t{i}", "owner", TimeSpan.FromSeconds(1), default)).Should().BeTrue();

        _time.Advance(TimeSpan.FromSeconds(3));
        await once.TryUseAsync("t-new", "owner", TimeSpan.FromSeconds(1), default);

        once.Count.Should().Be(1);
    }

    [Fact]
    public async Task Risk_signals_forget_users_and_ips_not_seen_within_the_window()
    {
        var signals = new InMemoryRiskSignals(_time);
        for (var i = 0; i < 1_000; i++) await signals.RecordAsync($"u{i}", $"10.0.{i / 250}.{i % 250}", $"d{i}", TimeSpan.FromSeconds(1), default);
        signals.KeysHeld.Should().BeGreaterThan(1_000);

        _time.Advance(TimeSpan.FromSeconds(3));
        await signals.RecordAsync("u-new", "10.9.9.9", "d-new", TimeSpan.FromSeconds(1), default);

        signals.KeysHeld.Should().Be(2, "only the new user and the new IP are left");
    }

    /// <summary>A store that knows no sale and counts how often it was asked for one (DispatchProxy needs an unsealed class).</summary>
    public class SaleLookups : DispatchProxy
    {
        private int _count;

        public static IFlashSaleStore Create() => DispatchProxy.Create<IFlashSaleStore, SaleLookups>();

        public static int Of(IFlashSaleStore store) => Volatile.Read(ref ((SaleLookups)(object)store)._count);

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod?.Name != nameof(IFlashSaleStore.FindSaleAsync)) throw new NotSupportedException(targetMethod?.Name);
            Interlocked.Increment(ref _count);
            return Task.FromResult<Sale?>(null);
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = DateTimeOffset.Parse("2026-11-11T00:00:00Z").UtcTicks;
        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
