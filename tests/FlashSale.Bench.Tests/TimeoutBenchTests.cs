using FlashSale.Bench;

namespace FlashSale.Bench.Tests;

/// <summary>The timeout scenario at a tiny scale in both modes, and its check against wrong outcomes. No timing is asserted.</summary>
public sealed class TimeoutBenchTests
{
    [Theory]
    [InlineData("embedded")]
    [InlineData("distributed")]
    public void The_timeout_scenario_cancels_exactly_the_due_orders_and_its_check_passes(string mode)
    {
        var output = Directory.CreateTempSubdirectory("bench-timeout-").FullName;
        var (exit, log) = BenchRunTests.Bench("timeout", "--mode", mode, "--pending", "2000", "--due", "500", "--batch", "200", "--probes", "20", "--write-batch", "700", "--out", output);

        exit.Should().Be(0, log);
        log.Should().Contain("Check: ok");
        var report = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, "timeout.json")))!;
        report["outcome"]!["cancelledBySweep"]!.GetValue<int>().Should().Be(500);
        report["outcome"]!["gateRemaining"]!.GetValue<long>().Should().Be(500, "stock 2,000 − 1,500 units still pending");
        report["batchTotal"]!["count"]!.GetValue<int>().Should().Be(3, "500 due orders in batches of 200");
        File.ReadAllText(Path.Combine(output, "timeout.md")).Should().Contain("orders_payment_due");
    }

    private static readonly TimeoutOutcome Correct = new(Stock: 2_000, Pending: 2_000, Due: 500, CancelledBySweep: 500, DistinctCancelled: 500, CancelledNotDue: 0,
        DbPendingOrders: 1_500, DbCancelledOrders: 500, DbAvailableStock: 500, GateRemaining: 500, GateReturnedUnits: 500, UnreturnedCancelled: 0);

    [Fact]
    public void A_correct_outcome_passes_the_check() => Correct.Failures().Should().BeEmpty();

    [Fact]
    public void Each_kind_of_wrong_outcome_fails_the_check()
    {
        (Correct with { CancelledBySweep = 499, DistinctCancelled = 499, DbCancelledOrders = 499, DbPendingOrders = 1_501 }).Failures()
            .Should().Contain(f => f.Contains("499 orders, 500 were due"));
        (Correct with { DistinctCancelled = 499 }).Failures().Should().ContainSingle().Which.Should().Contain("more than once");
        (Correct with { CancelledNotDue = 1 }).Failures().Should().ContainSingle().Which.Should().Contain("not yet due");
        (Correct with { DbAvailableStock = 499 }).Failures().Should().ContainSingle().Which.Should().Contain("database's available stock");
        (Correct with { GateRemaining = 0 }).Failures().Should().ContainSingle().Which.Should().Contain("gate's remaining stock");
        (Correct with { GateRemaining = null, GateReturnedUnits = null }).Failures().Should().HaveCount(2).And.Contain(f => f.Contains("does not hold the sale"));
        (Correct with { GateReturnedUnits = 1_000 }).Failures().Should().ContainSingle().Which.Should().Contain("took back");
        (Correct with { UnreturnedCancelled = 3 }).Failures().Should().ContainSingle().Which.Should().Contain("owe their units");
    }
}
