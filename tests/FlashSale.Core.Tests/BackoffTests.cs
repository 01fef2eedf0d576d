using FlashSale.Core.Pipeline;
using FlashSale.Core.Workers;

namespace FlashSale.Core.Tests;

public sealed class BackoffTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void A_linear_backoff_grows_by_its_step_per_failure_up_to_its_cap()
    {
        var backoff = Backoff.Linear(Ms(200), TimeSpan.FromSeconds(5));

        Enumerable.Range(1, 4).Select(backoff.Delay).Should().Equal(Ms(200), Ms(400), Ms(600), Ms(800));
        backoff.Delay(25).Should().Be(TimeSpan.FromSeconds(5));
        backoff.Delay(26).Should().Be(TimeSpan.FromSeconds(5));
        backoff.Delay(int.MaxValue).Should().Be(TimeSpan.FromSeconds(5), "no overflow however long it keeps failing");
    }

    [Fact]
    public void A_doubling_backoff_doubles_per_failure_at_most_ten_times_up_to_its_cap()
    {
        var backoff = Backoff.Doubling(Ms(200), TimeSpan.FromSeconds(10));
        Enumerable.Range(1, 7).Select(backoff.Delay).Should().Equal(Ms(200), Ms(400), Ms(800), Ms(1_600), Ms(3_200), Ms(6_400), TimeSpan.FromSeconds(10));

        var slow = Backoff.Doubling(Ms(1), TimeSpan.FromHours(1));
        slow.Delay(11).Should().Be(Ms(1_024));
        slow.Delay(int.MaxValue).Should().Be(Ms(1_024), "ten doublings at most");
    }

    [Fact]
    public void The_first_failure_waits_the_first_delay_and_nothing_is_less_than_a_first_failure()
    {
        var backoff = Backoff.Linear(Ms(100), TimeSpan.FromSeconds(2));
        backoff.Delay(1).Should().Be(Ms(100));
        backoff.Delay(0).Should().Be(Ms(100));
        backoff.Delay(-5).Should().Be(Ms(100));
        Backoff.Doubling(TimeSpan.Zero, TimeSpan.FromSeconds(1)).Delay(8).Should().Be(TimeSpan.Zero);
        Backoff.Doubling(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10)).Delay(1).Should().Be(TimeSpan.FromSeconds(10), "the cap holds from the first failure");
        var negative = () => Backoff.Linear(Ms(-1), TimeSpan.FromSeconds(1));
        negative.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Theory, InlineData(0), InlineData(1), InlineData(7), InlineData(200), InlineData(30_000), InlineData(60_000)]
    public void The_redelivery_delay_is_the_base_doubled_per_earlier_delivery_at_most_ten_seconds(int baseMs) =>
        FirstTwenty(new PipelineOptions { RetryBaseDelay = Ms(baseMs) }.RetryDelay)
            .Should().Equal(FirstTwenty(attempt => Ms(Math.Min(baseMs * Math.Pow(2, Math.Min(attempt, 10)), 10_000))));

    [Theory, InlineData(10), InlineData(5_000), InlineData(45_000), InlineData(300_000)]
    public void The_sweeper_waits_its_interval_doubled_per_unfinished_sweep_at_most_a_minute_or_the_interval(int intervalMs) =>
        FirstTwenty(new PipelineOptions { CompensationInterval = Ms(intervalMs) }.CompensationDelay)
            .Should().Equal(FirstTwenty(failed => Ms(Math.Max(intervalMs, Math.Min(intervalMs * Math.Pow(2, Math.Min(failed, 10)), 60_000)))));

    private static TimeSpan[] FirstTwenty(Func<int, TimeSpan> delay) => Enumerable.Range(0, 20).Select(delay).ToArray();
}
