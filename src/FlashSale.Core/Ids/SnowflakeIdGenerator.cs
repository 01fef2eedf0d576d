namespace FlashSale.Core.Ids;

/// <summary>
/// 64-bit ids: 41 bits of milliseconds since <see cref="Epoch"/>, 10 bits of worker id, 12 bits of sequence.
/// Lock-free: the last (timestamp, sequence) pair lives in one long updated by compare-and-swap.
/// Ids are positive, unique per worker id, and roughly time-ordered across workers.
/// </summary>
public sealed class SnowflakeIdGenerator
{
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    public const int WorkerBits = 10;
    public const int SequenceBits = 12;
    public const int MaxWorkerId = (1 << WorkerBits) - 1;
    private const long SequenceMask = (1L << SequenceBits) - 1;

    private readonly long _workerPart;
    private readonly TimeProvider _time;
    private long _last; // (millis << SequenceBits) | sequence

    public SnowflakeIdGenerator(int workerId, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workerId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workerId, MaxWorkerId);
        WorkerId = workerId;
        _workerPart = (long)workerId << SequenceBits;
        _time = time ?? TimeProvider.System;
    }

    public int WorkerId { get; }

    public long NextId()
    {
        while (true)
        {
            var last = Volatile.Read(ref _last);
            var now = (_time.GetUtcNow() - Epoch).Ticks / TimeSpan.TicksPerMillisecond;
            var lastMillis = last >> SequenceBits;
            // A clock that steps back must not repeat ids: keep issuing from the last millisecond.
            var millis = Math.Max(now, lastMillis);
            var next = millis == lastMillis ? last + 1 : millis << SequenceBits;
            if ((next & SequenceMask) == 0 && millis == lastMillis)
            {
                // Sequence exhausted in this millisecond: borrow the next one.
                next = (lastMillis + 1) << SequenceBits;
            }
            if (Interlocked.CompareExchange(ref _last, next, last) == last)
            {
                var m = next >> SequenceBits;
                return (m << (WorkerBits + SequenceBits)) | _workerPart | (next & SequenceMask);
            }
        }
    }

    /// <summary>How far ahead of this process's clock another process's clock may run: ids up to this far in the future still count.</summary>
    public static readonly TimeSpan ClockTolerance = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether any generator could have issued <paramref name="id"/> by <paramref name="now"/>: ids are positive and carry the
    /// millisecond they were made in, so an id from later than now (beyond <see cref="ClockTolerance"/>) was made up.
    /// </summary>
    public static bool CouldHaveIssued(long id, DateTimeOffset now) =>
        id > 0 && id >> (WorkerBits + SequenceBits) <= (now + ClockTolerance - Epoch).Ticks / TimeSpan.TicksPerMillisecond;

    public static DateTimeOffset TimestampOf(long id) =>
        Epoch.AddMilliseconds(id >> (WorkerBits + SequenceBits));
}
