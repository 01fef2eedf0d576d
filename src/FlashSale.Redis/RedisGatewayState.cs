using FlashSale.Core.Purchasing;
using System.Globalization;
using System.Text.Json;
using FlashSale.Core.Gateway;
using FlashSale.Core.Workers;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FlashSale.Redis;

/// <summary>Per-user and per-IP limits that hold across API processes: sliding_window.lua, one key per call.</summary>
public sealed class RedisRateWindow(RedisConnection redis) : IRateWindow
{
    private readonly string _processTag = $"{Environment.ProcessId}-{Guid.NewGuid():N}"[..16];
    private long _hits;

    public async ValueTask<RateDecision> TryHitAsync(string key, int limit, TimeSpan window, CancellationToken cancellationToken)
    {
        var member = _processTag + Interlocked.Increment(ref _hits).ToString(CultureInfo.InvariantCulture);
        var result = await redis.CallAsync(() => RedisScript.SlidingWindow.EvaluateAsync(redis.Database,
            [RedisKeys.RateWindow(key)], [limit, (long)window.TotalMilliseconds, member])).ConfigureAwait(false);
        var reply = (RedisResult[])result!;
        return new RateDecision((int)reply[0] == 1, (long)reply[1], TimeSpan.FromMilliseconds((long)reply[2]));
    }
}

public sealed class RedisOnceStore(RedisConnection redis) : IOnceStore
{
    public async ValueTask<bool> TryUseAsync(string key, string owner, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var result = await redis.CallAsync(() => RedisScript.Once.EvaluateAsync(redis.Database,
            [RedisKeys.Once(key)], [owner, (long)lifetime.TotalMilliseconds])).ConfigureAwait(false);
        return (int)result == 1;
    }
}

public sealed class RedisRiskSignals(RedisConnection redis) : IRiskSignals
{
    public async ValueTask<(long DevicesForUser, long UsersForIp)> RecordAsync(string userId, string ip, string? deviceId, TimeSpan window, CancellationToken cancellationToken)
    {
        var db = redis.Database;
        var ms = (long)window.TotalMilliseconds;
        var devices = RedisScript.DistinctRecent.EvaluateAsync(db, [RedisKeys.RiskDevicesOfUser(userId)], [deviceId ?? "", ms]);
        var users = RedisScript.DistinctRecent.EvaluateAsync(db, [RedisKeys.RiskUsersOfIp(ip)], [userId, ms]);
        await redis.CallAsync(async () => { await Task.WhenAll(devices, users).ConfigureAwait(false); return true; }).ConfigureAwait(false);
        return ((long)await devices.ConfigureAwait(false), (long)await users.ConfigureAwait(false));
    }
}

/// <summary>
/// The shared blacklist: a Redis hash plus a version counter. Each process answers from its copy in
/// memory (the same checks as embedded mode, ranges included) and refreshes it when the version moves
/// (at most a second behind; its own changes at once). Expired entries leave the hash at the next addition.
/// </summary>
public sealed class RedisBlacklist(RedisConnection redis, TimeProvider time) : InMemoryBlacklist(time)
{
    private static readonly RedisKey Entries = RedisKeys.Blacklist;
    private static readonly RedisKey Version = RedisKeys.BlacklistVersion;
    private long _seenVersion = -1;

    public override async Task AddAsync(BlacklistEntry entry, CancellationToken cancellationToken)
    {
        var db = redis.Database;
        var json = JsonSerializer.Serialize(new StoredEntry(entry.ExpiresAt?.ToUnixTimeMilliseconds(), entry.Reason), RedisJsonContext.Default.StoredEntry);
        // Entries past their expiry leave the shared hash at the next change (atomically: one re-added meanwhile stays).
        await redis.CallAsync(() => RedisScript.BlacklistPrune.EvaluateAsync(db, [Entries], [Time.GetUtcNow().ToUnixTimeMilliseconds()])).ConfigureAwait(false);
        await redis.CallAsync(() => db.HashSetAsync(Entries, Field(entry.Kind, entry.Value), json)).ConfigureAwait(false);
        await redis.CallAsync(() => db.StringIncrementAsync(Version)).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task<bool> RemoveAsync(BlacklistKind kind, string value, CancellationToken cancellationToken)
    {
        var db = redis.Database;
        var removed = await redis.CallAsync(() => db.HashDeleteAsync(Entries, Field(kind, value))).ConfigureAwait(false);
        await redis.CallAsync(() => db.StringIncrementAsync(Version)).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return removed;
    }

    public override async Task<IReadOnlyList<BlacklistEntry>> ListAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return await base.ListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reloads the list when another process changed it.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var db = redis.Database;
        var version = (long?)await redis.CallAsync(() => db.StringGetAsync(Version)).ConfigureAwait(false) ?? 0;
        if (version == Interlocked.Read(ref _seenVersion)) return;
        var all = await redis.CallAsync(() => db.HashGetAllAsync(Entries)).ConfigureAwait(false);
        Replace(all.Select(Parse).OfType<BlacklistEntry>());
        Interlocked.Exchange(ref _seenVersion, version);
    }

    private static string Field(BlacklistKind kind, string value) => kind.ToString().ToLowerInvariant() + ":" + value;

    private static BlacklistEntry? Parse(HashEntry e)
    {
        var field = (string)e.Name!;
        var colon = field.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0 || !Enum.TryParse<BlacklistKind>(field[..colon], ignoreCase: true, out var kind)) return null;
        var stored = JsonSerializer.Deserialize((string)e.Value!, RedisJsonContext.Default.StoredEntry);
        return new BlacklistEntry(kind, field[(colon + 1)..], stored?.ExpiresAtMs is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null, stored?.Reason);
    }
}

internal sealed record StoredEntry(long? ExpiresAtMs, string? Reason);

/// <summary>Keeps this process's copy of the blacklist at most a second behind the shared one.</summary>
public sealed class RedisBlacklistSync(RedisBlacklist blacklist, ILogger<RedisBlacklistSync> logger) : RepeatingWorker
{
    protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
    {
        await blacklist.RefreshAsync(stoppingToken).ConfigureAwait(false);
        return Pass.Done;
    }

    protected override TimeSpan Pause(int failures) => TimeSpan.FromSeconds(1);

    protected override void LogFailure(Exception exception, int failures) =>
        logger.LogWarning("Blacklist refresh failed: {Reason}", exception.Message);
}

/// <summary>Funnel counts summed over every API process: one Redis hash per sale.</summary>
public sealed class RedisFunnelStore(RedisConnection redis) : IFunnelStore
{
    /// <summary>How long a sale's funnel counters outlive their last change.</summary>
    public static readonly TimeSpan KeepAfterLastFlush = TimeSpan.FromDays(7);

    public async Task AddAsync(long saleId, FunnelSnapshot delta, CancellationToken cancellationToken)
    {
        var db = redis.Database;
        var key = Key(saleId);
        var increments = new List<Task>();
        foreach (var layer in FunnelCounters.Layers)
        {
            if (delta.Arrived[(int)layer] != 0) increments.Add(db.HashIncrementAsync(key, "arrived:" + FunnelNames.Of(layer), delta.Arrived[(int)layer]));
            if (delta.Passed[(int)layer] != 0) increments.Add(db.HashIncrementAsync(key, "passed:" + FunnelNames.Of(layer), delta.Passed[(int)layer]));
        }
        foreach (var ((layer, code), count) in delta.Stopped) increments.Add(db.HashIncrementAsync(key, $"stopped:{FunnelNames.Of(layer)}:{code}", count));
        // The counters of a sale nobody asks for any more leave Redis a while after its last flush.
        increments.Add(db.KeyExpireAsync(key, KeepAfterLastFlush));
        await redis.CallAsync(async () => { await Task.WhenAll(increments).ConfigureAwait(false); return true; }).ConfigureAwait(false);
    }

    public async Task<FunnelSnapshot> ReadAsync(long saleId, CancellationToken cancellationToken)
    {
        var all = await redis.CallAsync(() => redis.Database.HashGetAllAsync(Key(saleId))).ConfigureAwait(false);
        var snapshot = FunnelSnapshot.Empty;
        var stopped = new Dictionary<(FunnelLayer, string), long>();
        var byName = FunnelCounters.Layers.ToDictionary(FunnelNames.Of);
        foreach (var entry in all)
        {
            var parts = ((string)entry.Name!).Split(':', 3);
            if (parts.Length < 2 || !byName.TryGetValue(parts[1], out var layer)) continue;
            switch (parts[0])
            {
                case "arrived": snapshot.Arrived[(int)layer] = (long)entry.Value; break;
                case "passed": snapshot.Passed[(int)layer] = (long)entry.Value; break;
                case "stopped" when parts.Length == 3: stopped[(layer, parts[2])] = (long)entry.Value; break;
            }
        }
        return snapshot with { Stopped = stopped };
    }

    private static RedisKey Key(long saleId) => RedisKeys.For(saleId).Funnel;
}
