namespace FlashSale.Testing;

/// <summary>A clock that stands still until a test moves it (<see cref="Now"/>); it starts at a fixed moment.</summary>
public sealed class TestClock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 11, 0, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;
}
