using System.Collections.Concurrent;
using FlashSale.Core.Ids;

namespace FlashSale.Core.Tests;

public sealed class SnowflakeIdGeneratorTests
{
    [Fact]
    public void Ids_from_many_threads_are_unique_positive_and_carry_the_worker_id()
    {
        var generator = new SnowflakeIdGenerator(workerId: 777);
        var ids = new ConcurrentBag<long>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 50_000; i++) ids.Add(generator.NextId());
        });

        ids.Should().OnlyHaveUniqueItems();
        ids.Should().OnlyContain(id => id > 0);
        ids.Select(id => (id >> SnowflakeIdGenerator.SequenceBits) & SnowflakeIdGenerator.MaxWorkerId).Distinct().Should().Equal(777);
    }

    [Fact]
    public void A_clock_that_steps_back_does_not_repeat_ids()
    {
        var clock = new ManualClock(SnowflakeIdGenerator.Epoch.AddDays(10));
        var generator = new SnowflakeIdGenerator(1, clock);
        var before = Enumerable.Range(0, 10_000).Select(_ => generator.NextId()).ToList();
        clock.Now = clock.Now.AddSeconds(-5);
        var after = Enumerable.Range(0, 10_000).Select(_ => generator.NextId()).ToList();

        before.Concat(after).Should().OnlyHaveUniqueItems();
        after.Min().Should().BeGreaterThan(before.Max());
    }

    [Fact]
    public void The_timestamp_is_recoverable_from_the_id()
    {
        var at = SnowflakeIdGenerator.Epoch.AddDays(300).AddMilliseconds(123);
        var id = new SnowflakeIdGenerator(3, new ManualClock(at)).NextId();
        SnowflakeIdGenerator.TimestampOf(id).Should().Be(at);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1024)]
    public void Worker_ids_outside_ten_bits_are_refused(int workerId)
    {
        var act = () => new SnowflakeIdGenerator(workerId);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}

internal sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;
    public override DateTimeOffset GetUtcNow() => Now;
}
