using System.Diagnostics;

namespace FlashSale.Bench.Tests;

/// <summary>The bench command run as a newcomer runs it: smoke (correctness only), and against a deliberately broken gate.</summary>
public sealed class BenchRunTests
{
    private static (int ExitCode, string Output) Bench(params string[] args)
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
