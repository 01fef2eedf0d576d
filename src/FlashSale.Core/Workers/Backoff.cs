namespace FlashSale.Core.Workers;

/// <summary>
/// How long to wait after the n-th failure in a row: <see cref="First"/> after the first, then growing by
/// <see cref="First"/> per failure (<see cref="Linear"/>) or doubling per failure, at most ten times
/// (<see cref="Doubling"/>), and never longer than <see cref="Max"/>.
/// </summary>
public readonly record struct Backoff
{
    private const int MaxDoublings = 10;

    private Backoff(TimeSpan first, TimeSpan max, bool doubles)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(max, TimeSpan.Zero);
        (First, Max, Doubles) = (first, max, doubles);
    }

    /// <summary>The wait after the first failure.</summary>
    public TimeSpan First { get; }

    /// <summary>The longest wait.</summary>
    public TimeSpan Max { get; }

    /// <summary>Whether the wait doubles per failure (else it grows by <see cref="First"/>).</summary>
    public bool Doubles { get; }

    /// <summary><paramref name="step"/> times the failures in a row, at most <paramref name="max"/>.</summary>
    public static Backoff Linear(TimeSpan step, TimeSpan max) => new(step, max, doubles: false);

    /// <summary><paramref name="first"/>, doubled per further failure in a row (ten times at most), at most <paramref name="max"/>.</summary>
    public static Backoff Doubling(TimeSpan first, TimeSpan max) => new(first, max, doubles: true);

    /// <summary>The wait after <paramref name="failures"/> failures in a row (1: the first; less counts as 1).</summary>
    public TimeSpan Delay(int failures)
    {
        if (First == TimeSpan.Zero) return TimeSpan.Zero;
        var n = Math.Max(failures, 1);
        var factor = Doubles ? 1L << Math.Min(n - 1, MaxDoublings) : n;
        return factor > Max.Ticks / First.Ticks ? Max : TimeSpan.FromTicks(First.Ticks * factor);
    }
}
