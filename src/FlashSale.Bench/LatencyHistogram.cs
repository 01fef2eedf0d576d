namespace FlashSale.Bench;

/// <summary>
/// A log-linear latency histogram (HdrHistogram's idea): 64 linear sub-buckets per power of two of
/// microseconds, so every recorded value is kept within 1/64 (1.6 %) of itself, from 1 µs to over an
/// hour, in a fixed 2,560-slot array. Lock-free recording.
/// </summary>
public sealed class LatencyHistogram
{
    private const int SubBucketBits = 6;
    private const int SubBuckets = 1 << SubBucketBits;
    private const int Exponents = 40;
    private readonly long[] _counts = new long[Exponents * SubBuckets];
    private long _total;
    private long _max;

    public long Count => Interlocked.Read(ref _total);
    public long MaxMicros => Interlocked.Read(ref _max);

    public void Record(long micros)
    {
        micros = Math.Max(1, micros);
        Interlocked.Increment(ref _counts[IndexOf(micros)]);
        Interlocked.Increment(ref _total);
        long seen;
        while (micros > (seen = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, micros, seen) != seen) { }
    }

    /// <summary>The smallest recorded value (bucket's upper edge) at or above the given percentile.</summary>
    public long PercentileMicros(double percentile)
    {
        var total = Count;
        if (total == 0) return 0;
        var rank = (long)Math.Ceiling(percentile / 100.0 * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Min(UpperEdge(i), MaxMicros);
        }
        return MaxMicros;
    }

    /// <summary>(upper edge µs, count) of every non-empty bucket: the distribution for the report.</summary>
    public IEnumerable<(long UpperMicros, long Count)> Buckets()
    {
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_counts[i] > 0) yield return (UpperEdge(i), _counts[i]);
        }
    }

    internal static int IndexOf(long micros)
    {
        // Below 64 µs one slot per microsecond; above, 64 slots per power of two, picked by the top 7 bits.
        if (micros < SubBuckets) return (int)micros;
        var exponent = 64 - (int)long.LeadingZeroCount(micros) - (SubBucketBits + 1);
        var index = SubBuckets + exponent * SubBuckets + (int)((micros >> exponent) - SubBuckets);
        return Math.Min(index, Exponents * SubBuckets - 1);
    }

    internal static long UpperEdge(int index)
    {
        if (index < SubBuckets) return index;
        var exponent = (index - SubBuckets) / SubBuckets;
        var top = SubBuckets + (index - SubBuckets) % SubBuckets;
        return ((long)(top + 1) << exponent) - 1;
    }
}
