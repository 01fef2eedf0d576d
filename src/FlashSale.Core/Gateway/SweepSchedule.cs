namespace FlashSale.Core.Gateway;

/// <summary>
/// When an in-memory cache may drop its stale entries: at most once per interval, by one caller at a time,
/// so the cost is one pass a second whatever the traffic, never a pass per call, and memory stays bounded
/// by what one interval (plus the entries' own lifetime) can add.
/// </summary>
internal sealed class SweepSchedule(TimeProvider time, TimeSpan interval)
{
    private readonly long _every = (long)(interval.TotalSeconds * time.TimestampFrequency);
    private long _next;
    private int _running;

    /// <summary>True when the caller should sweep now; it must call <see cref="End"/> afterwards.</summary>
    public bool TryBegin()
    {
        var now = time.GetTimestamp();
        if (now < Volatile.Read(ref _next) || Interlocked.Exchange(ref _running, 1) == 1) return false;
        Volatile.Write(ref _next, now + _every);
        return true;
    }

    public void End() => Volatile.Write(ref _running, 0);
}
