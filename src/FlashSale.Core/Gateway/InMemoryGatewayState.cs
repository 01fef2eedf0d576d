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

/// <summary>
/// The blacklist of embedded mode: one process, so memory is the shared state (a restart clears it). Also each
/// distributed process's copy of the shared list. Copy on write: a check reads one immutable snapshot, without a lock.
/// </summary>
public class InMemoryBlacklist(TimeProvider time) : IBlacklist
{
    private volatile Snapshot _snapshot = Snapshot.Of([]);
    private readonly Lock _write = new();

    protected TimeProvider Time { get; } = time;

    public bool IsBlocked(BlacklistKind kind, string? value)
    {
        if (value is null) return false;
        if (kind == BlacklistKind.Ip) return IsBlocked(ClientIp.Parse(value));
        return _snapshot.Entries.TryGetValue((kind, value), out var entry) && IsLive(entry);
    }

    public bool IsBlocked(ClientIp ip)
    {
        if (!ip.IsKnown) return false;
        foreach (var ranges in _snapshot.Ranges)
        {
            if (ranges.Networks.TryGetValue(ip.Bits & ranges.Mask, out var entry) && IsLive(entry)) return true;
        }
        return false;
    }

    public virtual Task AddAsync(BlacklistEntry entry, CancellationToken cancellationToken)
    {
        lock (_write)
        {
            // Entries past their expiry leave at the next change, so the list holds what an admin added lately.
            var kept = _snapshot.Entries.Values.Where(e => IsLive(e) && (e.Kind, e.Value) != (entry.Kind, entry.Value));
            _snapshot = Snapshot.Of(kept.Append(entry));
        }
        return Task.CompletedTask;
    }

    public virtual Task<bool> RemoveAsync(BlacklistKind kind, string value, CancellationToken cancellationToken)
    {
        lock (_write)
        {
            var removed = _snapshot.Entries.ContainsKey((kind, value));
            if (removed) _snapshot = Snapshot.Of(_snapshot.Entries.Values.Where(e => (e.Kind, e.Value) != (kind, value)));
            return Task.FromResult(removed);
        }
    }

    public virtual Task<IReadOnlyList<BlacklistEntry>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<BlacklistEntry>>(_snapshot.Entries.Values.Where(IsLive).ToArray());

    /// <summary>Replaces the whole list (a distributed cache refreshing from the shared copy).</summary>
    protected void Replace(IEnumerable<BlacklistEntry> entries)
    {
        lock (_write) _snapshot = Snapshot.Of(entries);
    }

    private bool IsLive(BlacklistEntry entry) => entry.ExpiresAt is null || entry.ExpiresAt > Time.GetUtcNow();

    /// <summary>
    /// The list, and its ip entries as ranges grouped by prefix length, longest first: an address is checked with one
    /// hash lookup per prefix length in use (an address entry is a /32, or a /64 for IPv6), whatever the entries' number.
    /// </summary>
    private sealed class Snapshot(Dictionary<(BlacklistKind, string), BlacklistEntry> entries, PrefixGroup[] ranges)
    {
        public Dictionary<(BlacklistKind, string), BlacklistEntry> Entries { get; } = entries;
        public PrefixGroup[] Ranges { get; } = ranges;

        public static Snapshot Of(IEnumerable<BlacklistEntry> entries)
        {
            var all = new Dictionary<(BlacklistKind, string), BlacklistEntry>();
            foreach (var entry in entries) all[(entry.Kind, entry.Value)] = entry;
            var byLength = new SortedDictionary<int, Dictionary<UInt128, BlacklistEntry>>(Comparer<int>.Create((a, b) => b.CompareTo(a)));
            foreach (var entry in all.Values)
            {
                // An entry that is no range (stored before values were checked) blocks nobody; it can still be listed and removed.
                if (entry.Kind != BlacklistKind.Ip || !IpRange.TryParse(entry.Value, out var range)) continue;
                if (!byLength.TryGetValue(range.PrefixLength, out var networks)) byLength[range.PrefixLength] = networks = [];
                if (!networks.TryGetValue(range.Network, out var other) || Outlives(entry, other)) networks[range.Network] = entry;
            }
            return new Snapshot(all, [.. byLength.Select(g => new PrefixGroup(IpRange.MaskOf(g.Key), g.Value))]);
        }

        /// <summary>Of two entries for one range (written differently), the one that blocks longer decides.</summary>
        private static bool Outlives(BlacklistEntry entry, BlacklistEntry other) =>
            entry.ExpiresAt is null || (other.ExpiresAt is { } until && entry.ExpiresAt > until);
    }

    private sealed record PrefixGroup(UInt128 Mask, Dictionary<UInt128, BlacklistEntry> Networks);
}
