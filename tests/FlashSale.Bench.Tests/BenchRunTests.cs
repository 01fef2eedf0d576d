using System.Diagnostics;

namespace FlashSale.Bench.Tests;

/// <summary>The bench command run as a newcomer runs it: smoke (correctness only), a short soak, and against a deliberately broken gate.</summary>
public sealed class BenchRunTests
{
    internal static (int ExitCode, string Output) Bench(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "FlashSale.Bench.dll");
        var info = new ProcessStartInfo("dotnet", [dll, .. args]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit(600_000).Should().BeTrue("the bench finishes");
        return (process.ExitCode, stdout + stderr.Result);
    }

    [Fact]
    public void The_smoke_scenario_sells_exactly_the_stock_and_its_audit_passes()
    {
        var output = Directory.CreateTempSubdirectory("bench-smoke-").FullName;
        var (exit, log) = Bench("smoke", "--out", output);

        exit.Should().Be(0, log);
        log.Should().MatchRegex(@"embedded\s.*\s100\s.*\sok\s");
        File.Exists(Path.Combine(output, "report.json")).Should().BeTrue();
        File.ReadAllText(Path.Combine(output, "report.html")).Should().Contain("<svg").And.Contain("Funnel");
    }

    [Fact]
    public void Compare_runs_the_bare_ceiling_every_strategy_and_the_redis_ceiling_with_wrk_and_reports_cpu_per_process_and_the_targets()
    {
        // As docs/benchmarks.md shows it, at its smallest.
        var output = Directory.CreateTempSubdirectory("bench-compare-").FullName;
        var (exit, log) = Bench("compare", "--users", "400", "--stock", "50", "--attempts", "600", "--concurrency", "16", "--connections", "16",
            "--seconds", "1", "--wrk-connections", "16", "--out", output);

        exit.Should().Be(0, log);
        log.Should().Contain("Ceilings").And.Contain("Contested: wrk -t2 -c16 -d1s -s bench/wrk/purchase.lua").And.Contain("Sold out: wrk -t2 -c16 -d1s")
            .And.Contain("CPU time per accepted purchase").And.Contain("Targets (all from this run)").And.NotContain("exit 1");
        var report = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, "report.json")))!;
        report["failures"]!.AsArray().Should().BeEmpty();
        report["bareDotnet"]!["Attempts"]!.GetValue<long>().Should().Be(600, "the .NET client's run against the bare ceiling");
        report["redisCeiling"]!["Attempts"]!.GetValue<long>().Should().BePositive();
        foreach (var race in report["strategies"]!.AsArray())
        {
            race!["Audit"]!["PersistedUnits"]!.GetValue<long>().Should().Be(50, $"{race["Strategy"]} sold the stock, by its audit");
            race["Audit"]!["OversoldUnits"]!.GetValue<long>().Should().Be(0);
        }
        var phases = report["phases"]!.AsArray().Select(p => p!).ToList();
        phases.Select(p => $"{p["strategy"]} {p["phase"]}").Should().Equal(
            ["bare ceiling", .. Scenarios.AllStrategies.SelectMany(s => new[] { $"{s} contested", $"{s} sold-out" })]);
        foreach (var phase in phases)
        {
            phase["requests"]!.GetValue<long>().Should().BePositive($"{phase["strategy"]} {phase["phase"]} was driven by wrk");
            var processes = phase["cpu"]!.AsArray().Select(c => c!["process"]!.GetValue<string>()).ToList();
            processes.Should().Contain(["server", "wrk", "bench"]);
            if (phase["strategy"]!.GetValue<string>() is not ("bare" or "embedded")) processes.Should().Contain(["redis", "rabbitmq", "postgres"]);
            if (phase["phase"]!.GetValue<string>() == "contested")
            {
                phase["distinctOrderIds"]!.GetValue<long>().Should().Be(phase["accepted"]!.GetValue<long>(), "no 202 was a replay");
                phase["persistedWithinSeconds"]!.GetValue<double?>().Should().NotBeNull("every accepted order was persisted");
            }
        }
        report["targets"]!.AsArray().Select(t => t!["name"]!.GetValue<string>()).Should().Contain("redis contested: accepted/s ÷ bare requests/s");
        File.ReadAllText(Path.Combine(output, "report.html")).Should().Contain("CPU time per process").And.Contain("<h2>Targets</h2>");
    }

    [Fact]
    public void A_short_soak_runs_sales_back_to_back_samples_memory_and_audits_every_sale()
    {
        var output = Directory.CreateTempSubdirectory("bench-soak-").FullName;
        var (exit, log) = Bench("soak", "--mode", "embedded", "--minutes", "0.3", "--sale-seconds", "4", "--sample-seconds", "2", "--tail-seconds", "2",
            "--users", "400", "--stock", "50", "--attempts", "400", "--concurrency", "16", "--connections", "16", "--out", output);

        exit.Should().Be(0, log);
        log.Should().Contain("audit ok for every sale");
        var report = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, "soak.json")))!;
        report["passed"]!.GetValue<bool>().Should().BeTrue();
        var sales = report["sales"]!.AsArray();
        sales.Count.Should().BeGreaterThanOrEqualTo(2, log);
        foreach (var sale in sales)
        {
            sale!["Audit"]!["AcceptedUnits"]!.GetValue<long>().Should().Be(50);
            sale["Audit"]!["OversoldUnits"]!.GetValue<long>().Should().Be(0);
            sale["Audit"]!["UsersOverLimit"]!.GetValue<long>().Should().Be(0);
            sale["Audit"]!["AcceptedWithoutOrder"]!.GetValue<long>().Should().Be(0);
            sale["RetainedHeapMiB"]!.GetValue<double>().Should().BePositive("the server's heap is read through its bench endpoint");
        }
        var samples = report["samples"]!.AsArray();
        samples.Count.Should().BeGreaterThanOrEqualTo(2);
        samples.Should().OnlyContain(s => s!["ServerRssMiB"]!.GetValue<double>() > 0);
        report["trends"]!.AsArray().Select(t => t!["Series"]!.GetValue<string>()).Should().Contain(["server RSS", "server heap after full GC"]);
        File.ReadAllText(Path.Combine(output, "soak-memory.svg")).Should().Contain("<polyline");
        File.ReadAllText(Path.Combine(output, "soak.html")).Should().Contain("<svg");
    }

    [Fact]
    public void The_audit_catches_the_oversell_of_a_broken_gate()
    {
        // database-naive reads the stock, thinks, and writes it back unguarded: concurrent buyers overwrite
        // each other's deduction. The bench must notice and fail.
        var output = Directory.CreateTempSubdirectory("bench-naive-").FullName;
        var (exit, log) = Bench("smoke", "--strategies", "database-naive", "--stock", "50", "--users", "600", "--attempts", "600", "--concurrency", "64", "--connections", "64", "--out", output);

        exit.Should().NotBe(0, log);
        log.Should().MatchRegex(@"AUDIT FAILED database-naive: oversold [1-9]");
    }
}
