using System.Collections.Concurrent;

namespace FlashSale.Core.Gateway;

/// <summary>Exact sliding log per key, in memory (embedded mode). Same semantics as sliding_window.lua.</summary>
public sealed class InMemoryRateWindow(TimeProvider time) : IRateWindow
{
    private readonly ConcurrentDictionary<string, Queue<long>> _logs = new();

    public ValueTask<RateDecision> TryHitAsync(string key, int limit, TimeSpan window, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var windowMs = (long)window.TotalMilliseconds;
        var log = _logs.GetOrAdd(key, static _ => new Queue<long>());
        lock (log)
        {
            while (log.Count > 0 && log.Peek() <= now - windowMs) log.Dequeue();
            if (log.Count >= limit)
            {
                return ValueTask.FromResult(new RateDecision(false, log.Count, TimeSpan.FromMilliseconds(log.Peek() + windowMs - now)));
            }
            log.Enqueue(now);
            if (log.Count == 1 && _logs.Count > 100_000) Sweep(now - windowMs);
            return ValueTask.FromResult(new RateDecision(true, log.Count, TimeSpan.Zero));
        }
    }

    /// <summary>Drops idle keys now and then, so a million one-time visitors do not stay in memory.</summary>
    private void Sweep(long before)
    {
        foreach (var (key, log) in _logs)
        {
            lock (log)
            {
                if (log.Count == 0 || log.Peek() <= before) _logs.TryRemove(key, out _);
            }
        }
    }
}

public sealed class InMemoryOnceStore(TimeProvider time) : IOnceStore
{
    private readonly ConcurrentDictionary<string, (string Owner, DateTimeOffset Until)> _used = new();

    public ValueTask<bool> TryUseAsync(string key, string owner, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entry = _used.AddOrUpdate(key, (owner, now + lifetime), (_, old) => old.Until <= now ? (owner, now + lifetime) : old);
        if (_used.Count > 100_000) foreach (var (k, v) in _used) if (v.Until <= now) _used.TryRemove(k, out _);
        return ValueTask.FromResult(entry.Owner == owner);
    }
}

public sealed class InMemoryRiskSignals(TimeProvider time) : IRiskSignals
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, DateTimeOffset>> _sets = new();

    public ValueTask<(long DevicesForUser, long UsersForIp)> RecordAsync(string userId, string ip, string? deviceId, TimeSpan window, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var devices = deviceId is null ? Count("u:" + userId, now, window) : Add("u:" + userId, deviceId, now, window);
        var users = Add("ip:" + ip, userId, now, window);
        return ValueTask.FromResult((devices, users));
    }

    private long Add(string key, string member, DateTimeOffset now, TimeSpan window)
    {
        var set = _sets.GetOrAdd(key, static _ => new ConcurrentDictionary<string, DateTimeOffset>());
        set[member] = now;
        return Count(key, now, window);
    }

    private long Count(string key, DateTimeOffset now, TimeSpan window)
    {
        if (!_sets.TryGetValue(key, out var set)) return 0;
        foreach (var (member, seen) in set) if (seen <= now - window) set.TryRemove(member, out _);
        return set.Count;
    }
}

/// <summary>The blacklist of embedded mode: one process, so memory is the shared state (a restart clears it).</summary>
public class InMemoryBlacklist(TimeProvider time) : IBlacklist
{
    private volatile Dictionary<(BlacklistKind, string), BlacklistEntry> _entries = new();
    private readonly Lock _write = new();

    public bool IsBlocked(BlacklistKind kind, string? value) =>
        value is not null && _entries.TryGetValue((kind, value), out var entry) && (entry.ExpiresAt is null || entry.ExpiresAt > time.GetUtcNow());

    public virtual Task AddAsync(BlacklistEntry entry, CancellationToken cancellationToken)
    {
        lock (_write) _entries = new Dictionary<(BlacklistKind, string), BlacklistEntry>(_entries) { [(entry.Kind, entry.Value)] = entry };
        return Task.CompletedTask;
    }

    public virtual Task<bool> RemoveAsync(BlacklistKind kind, string value, CancellationToken cancellationToken)
    {
        lock (_write)
        {
            var copy = new Dictionary<(BlacklistKind, string), BlacklistEntry>(_entries);
            var removed = copy.Remove((kind, value));
            _entries = copy;
            return Task.FromResult(removed);
        }
    }

    public virtual Task<IReadOnlyList<BlacklistEntry>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<BlacklistEntry>>(_entries.Values.Where(e => e.ExpiresAt is null || e.ExpiresAt > time.GetUtcNow()).ToArray());

    /// <summary>Replaces the whole list (a distributed cache refreshing from the shared copy).</summary>
    protected void Replace(IEnumerable<BlacklistEntry> entries)
    {
        lock (_write) _entries = entries.ToDictionary(e => (e.Kind, e.Value));
    }
}
