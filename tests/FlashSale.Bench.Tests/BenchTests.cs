namespace FlashSale.Bench.Tests;

public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_are_within_two_percent_of_the_true_values()
    {
        var histogram = new LatencyHistogram();
        var values = Enumerable.Range(1, 100_000).Select(i => (long)i * 37 % 2_000_000 + 1).ToArray();
        foreach (var v in values) histogram.Record(v);
        Array.Sort(values);

        foreach (var p in new[] { 50.0, 90.0, 99.0, 99.9 })
        {
            var truth = values[(int)Math.Ceiling(p / 100 * values.Length) - 1];
            histogram.PercentileMicros(p).Should().BeInRange(truth, (long)(truth * 1.02) + 1, $"p{p}");
        }
        histogram.MaxMicros.Should().Be(values[^1]);
        histogram.Count.Should().Be(values.Length);
    }

    [Fact]
    public void Every_value_lands_in_a_bucket_whose_upper_edge_is_at_or_just_above_it()
    {
        foreach (var v in new long[] { 1, 63, 64, 65, 127, 128, 1_000, 65_537, 10_000_000, 3_600_000_000 })
        {
            var edge = LatencyHistogram.UpperEdge(LatencyHistogram.IndexOf(v));
            edge.Should().BeGreaterThanOrEqualTo(v).And.BeLessThanOrEqualTo(v + v / 64 + 1);
        }
    }
}

/// <summary>The audit's rules: each kind of wrong must make it fail.</summary>
public sealed class AuditRuleTests
{
    private static readonly HashSet<string> AllFound = ["1", "2", "3"];

    [Fact]
    public void A_clean_sale_passes() =>
        AuditResult.Judge(3, 1, [(1, 1, "1"), (2, 1, "2"), (3, 1, "3")], 3, AllFound, TimeSpan.Zero).Passed.Should().BeTrue();

    [Fact]
    public void Oversold_units_fail_it_whether_the_answers_or_the_database_show_them()
    {
        AuditResult.Judge(2, 1, [(1, 1, "1"), (2, 1, "2"), (3, 1, "3")], 2, AllFound, TimeSpan.Zero).OversoldUnits.Should().Be(1);
        AuditResult.Judge(3, 1, [(1, 1, "1")], 5, AllFound, TimeSpan.Zero).OversoldUnits.Should().Be(2);
    }

    [Fact]
    public void A_user_over_the_limit_and_a_202_without_order_fail_it()
    {
        var result = AuditResult.Judge(10, 1, [(1, 1, "1"), (1, 1, "2"), (3, 1, "4")], 3, AllFound, TimeSpan.Zero);
        result.UsersOverLimit.Should().Be(1);
        result.AcceptedWithoutOrder.Should().Be(1);
        result.Passed.Should().BeFalse();
    }
}
