using System.Collections.Concurrent;

namespace FlashSale.Core.Gateway;

/// <summary>Exact sliding log per key, in memory (embedded mode). Same semantics as sliding_window.lua.</summary>
public sealed class InMemoryRateWindow(TimeProvider time) : IRateWindow
{
    private readonly ConcurrentDictionary<string, Log> _logs = new();
    private readonly SweepSchedule _sweeps = new(time, TimeSpan.FromSeconds(1));

    /// <summary>Keys held now (diagnostics and tests).</summary>
    public int Count => _logs.Count;

    public ValueTask<RateDecision> TryHitAsync(string key, int limit, TimeSpan window, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var windowMs = (long)window.TotalMilliseconds;
        if (_sweeps.TryBegin()) Sweep(now);
        var log = _logs.GetOrAdd(key, static (_, ms) => new Log(ms), windowMs);
        lock (log)
        {
            log.WindowMs = windowMs;
            while (log.Count > 0 && log.Peek() <= now - windowMs) log.Dequeue();
            if (log.Count >= limit)
            {
                return ValueTask.FromResult(new RateDecision(false, log.Count, TimeSpan.FromMilliseconds(log.Peek() + windowMs - now)));
            }
            log.Enqueue(now);
            log.LastHit = now;
            return ValueTask.FromResult(new RateDecision(true, log.Count, TimeSpan.Zero));
        }
    }

    /// <summary>Drops the keys whose every hit is past the key's own window (a long window elsewhere keeps no short-lived key).</summary>
    private void Sweep(long now)
    {
        try
        {
            foreach (var (key, log) in _logs)
            {
                lock (log)
                {
                    // A log emptied here is removed while locked; a caller that still holds it re-adds its hit to a
                    // queue nobody reads again: at worst one hit is forgotten, never one too many counted.
                    if (log.Count == 0 || log.LastHit <= now - log.WindowMs) _logs.TryRemove(key, out _);
                }
            }
        }
        finally
        {
            _sweeps.End();
        }
    }

    /// <summary>One key's hits, oldest first, with the window it is counted in and its newest hit.</summary>
    private sealed class Log(long windowMs) : Queue<long>
    {
        public long WindowMs { get; set; } = windowMs;
        public long LastHit { get; set; }
    }
}

public sealed class InMemoryOnceStore(TimeProvider time) : IOnceStore
{
    private readonly ConcurrentDictionary<string, (string Owner, DateTimeOffset Until)> _used = new();
    private readonly SweepSchedule _sweeps = new(time, TimeSpan.FromSeconds(1));

    /// <summary>Keys held now (diagnostics and tests).</summary>
    public int Count => _used.Count;

    public ValueTask<bool> TryUseAsync(string key, string owner, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entry = _used.AddOrUpdate(key, (owner, now + lifetime), (_, old) => old.Until <= now ? (owner, now + lifetime) : old);
        if (_sweeps.TryBegin())
        {
            try
            {
                foreach (var (k, v) in _used) if (v.Until <= now) _used.TryRemove(new KeyValuePair<string, (string, DateTimeOffset)>(k, v));
            }
            finally
            {
                _sweeps.End();
            }
        }
        return ValueTask.FromResult(entry.Owner == owner);
    }
}

public sealed class InMemoryRiskSignals(TimeProvider time) : IRiskSignals
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, DateTimeOffset>> _sets = new();
    private readonly SweepSchedule _sweeps = new(time, TimeSpan.FromSeconds(1));
    private long _longestWindowTicks;

    /// <summary>Users and IPs with signals held now (diagnostics and tests).</summary>
    public int KeysHeld => _sets.Count;

    public ValueTask<(long DevicesForUser, long UsersForIp)> RecordAsync(string userId, string ip, string? deviceId, TimeSpan window, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (window.Ticks > Volatile.Read(ref _longestWindowTicks)) Volatile.Write(ref _longestWindowTicks, window.Ticks);
        if (_sweeps.TryBegin()) Sweep(now - TimeSpan.FromTicks(Volatile.Read(ref _longestWindowTicks)));
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

    /// <summary>Drops members older than the longest window, and the users and IPs left with none.</summary>
    private void Sweep(DateTimeOffset before)
    {
        try
        {
            foreach (var (key, set) in _sets)
            {
                foreach (var (member, seen) in set) if (seen <= before) set.TryRemove(member, out _);
                // A member added between the check and the removal is lost: the signal undercounts by one, briefly.
                if (set.IsEmpty) _sets.TryRemove(new KeyValuePair<string, ConcurrentDictionary<string, DateTimeOffset>>(key, set));
            }
        }
        finally
        {
            _sweeps.End();
        }
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
