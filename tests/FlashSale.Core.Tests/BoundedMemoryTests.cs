using FlashSale.Core.Gateway;

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

    private sealed class ManualTime : TimeProvider
    {
        private long _ticks = DateTimeOffset.Parse("2026-11-11T00:00:00Z").UtcTicks;
        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
