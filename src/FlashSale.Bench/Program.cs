using System.Diagnostics;
using System.Globalization;
using FlashSale.Bench;
using FlashSale.Bench.Baselines;
using FlashSale.Server.Hosting;

// The benchmark: dotnet run -c Release --project src/FlashSale.Bench -- <scenario> [options]
//   compare  every strategy and the ceilings in one run, wrk as the load client (docs/benchmarks.md, "Method"): the bare ceiling
//            (src/FlashSale.Bench.Bare, driven by wrk and by the bench's .NET client); per strategy the race (the .NET client
//            and the audit), a contested phase and a sold-out phase (wrk with bench/wrk/purchase.lua), CPU per process;
//            the Redis ceiling (redis-benchmark); then the targets, and one line per reason when it exits non-zero
//   smoke    a short embedded race: correctness only (the test suite runs it)
//   burst    1,000,000 users on the redis gate
//   serve    the server the scenarios start: FlashSale.Server plus the baselines and bench endpoints (Baselines/BenchServer.cs)
//   soak     sales back to back for --minutes (10), Redis and server memory sampled (--mode distributed|embedded)
//   timeout  the payment timeout at scale: --pending N (1,000,000) orders, --due N (100,000) past their deadline, --batch N (500),
//            --mode distributed|embedded, --probes N (1,000), --write-batch N (5,000); writes timeout.md and timeout.json
// Options: --users N --stock N --attempts N --concurrency N --connections N --strategies a,b --out DIR --no-ceilings
//          compare only: --seconds N (10: each wrk phase) --wrk-threads N (2) --wrk-connections N (128)
// Soak options: --minutes X --mode M --sale-seconds X --sample-seconds X --tail-seconds X --retention-seconds X --redis-db N (and --users --stock --attempts)
if (args is [BenchServer.Command, .. var serverArgs]) return await FlashSaleApp.RunAsync(serverArgs, new BenchServer());
var scenario = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "compare";
int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
string? Text(string name)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

double Number(string name, double fallback)
{
    var i = Array.IndexOf(args, "--" + name);
    return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
string OutputFor(string name) => Text("out") ?? Path.Combine(BenchEnvironment.RepositoryRoot, "artifacts", "bench", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + name);

if (scenario == "soak")
{
    var mode = Text("mode") ?? "distributed";
    if (mode is not ("distributed" or "embedded"))
    {
        Console.Error.WriteLine($"Unknown mode '{mode}'. Use distributed or embedded.");
        return 2;
    }
    var soak = new SoakSettings(Number("minutes", 10), mode, Option("users", 5_000), Option("stock", 2_000), Option("attempts", 5_000),
        Option("concurrency", 64), Option("connections", 64), Number("sale-seconds", 20), Number("sample-seconds", 10), Number("tail-seconds", 75),
        Number("retention-seconds", 30), Option("redis-db", 9), OutputFor("soak"));
    Console.Error.WriteLine($"bench soak ({mode}): sales for {soak.Minutes} min, each {soak.SaleSeconds} s with stock {soak.Stock:N0} (limit 1) and {soak.Attempts:N0} attempts by {soak.Users:N0} users; a sample every {soak.SampleSeconds} s; {soak.TailSeconds} s tail");
    var soaked = await Soak.RunAsync(soak);
    var soakCommit = Git("rev-parse", "--short", "HEAD") + (Git("status", "--porcelain").Length > 0 ? "+dirty" : "");
    var soakTable = Soak.Table(soaked);
    Directory.CreateDirectory(soak.OutputDirectory);
    await File.WriteAllTextAsync(Path.Combine(soak.OutputDirectory, "soak.json"), Soak.Json(soaked, soakCommit));
    await File.WriteAllTextAsync(Path.Combine(soak.OutputDirectory, "soak.html"), Soak.Html(soaked, soakCommit, soakTable));
    foreach (var (file, svg) in Soak.Charts(soaked)) await File.WriteAllTextAsync(Path.Combine(soak.OutputDirectory, file), svg);
    Console.WriteLine(soakTable);
    Console.WriteLine($"Reports: {soak.OutputDirectory}/soak.json, {soak.OutputDirectory}/soak.html");
    return soaked.Passed ? 0 : 1;
}

if (scenario == "timeout")
{
    var mode = Text("mode") ?? "distributed";
    var timeout = new TimeoutSettings(Option("pending", 1_000_000), Option("due", 100_000), mode, Option("batch", 500), Option("probes", 1_000),
        Option("write-batch", 5_000), OutputFor("timeout"));
    if (mode is not ("distributed" or "embedded") || timeout.Due > timeout.Pending || timeout.Due < 0 || timeout.Batch < 1 || timeout.Probes < 1 || timeout.WriteBatch < 1)
    {
        Console.Error.WriteLine("Use: timeout [--pending N] [--due N <= pending] [--mode distributed|embedded] [--batch N] [--probes N] [--write-batch N]");
        return 2;
    }
    var measured = await TimeoutBench.RunAsync(timeout, Git("rev-parse", "--short", "HEAD") + (Git("status", "--porcelain").Length > 0 ? "+dirty" : ""));
    var markdown = TimeoutBench.Markdown(measured);
    Directory.CreateDirectory(timeout.OutputDirectory);
    await File.WriteAllTextAsync(Path.Combine(timeout.OutputDirectory, "timeout.md"), markdown);
    await File.WriteAllTextAsync(Path.Combine(timeout.OutputDirectory, "timeout.json"), TimeoutBench.Json(measured));
    Console.WriteLine(markdown);
    Console.WriteLine($"Reports: {timeout.OutputDirectory}/timeout.md, {timeout.OutputDirectory}/timeout.json");
    if (!measured.Passed) Console.Error.WriteLine("TIMEOUT CHECK FAILED: " + string.Join("; ", measured.Failures));
    return measured.Passed ? 0 : 1;
}

var settings = scenario switch
{
    "compare" => new BenchSettings(Option("users", 50_000), Option("stock", 5_000), Option("attempts", 50_000), Option("concurrency", 128), Option("connections", 128), Scenarios.AllStrategies, "", Ceilings: true,
        new WrkSettings(Option("wrk-threads", WrkSettings.Default.Threads), Option("wrk-connections", WrkSettings.Default.Connections), Option("seconds", WrkSettings.Default.Seconds))),
    "smoke" => new BenchSettings(Option("users", 600), Option("stock", 100), Option("attempts", 1_000), Option("concurrency", 16), Option("connections", 16), ["embedded"], "", Ceilings: false),
    "burst" => new BenchSettings(Option("users", 1_000_000), Option("stock", 10_000), Option("attempts", 1_000_000), Option("concurrency", 256), Option("connections", 256), ["redis"], "", Ceilings: false),
    _ => null,
};
if (settings is null)
{
    Console.Error.WriteLine($"Unknown scenario '{scenario}'. Use compare, smoke, burst, soak or timeout.");
    return 2;
}
if (Text("strategies") is { } chosen) settings = settings with { Strategies = chosen.Split(',', StringSplitOptions.RemoveEmptyEntries) };
if (args.Contains("--no-ceilings")) settings = settings with { Ceilings = false };
var output = OutputFor(scenario);
settings = settings with { OutputDirectory = output };
Console.Error.WriteLine($"bench {scenario}: {settings.Users:N0} users, stock {settings.Stock:N0}, {settings.Attempts:N0} attempts, {settings.Concurrency} in flight over {settings.Connections} connections; strategies {string.Join(", ", settings.Strategies)}");

BenchRun run;
try
{
    run = await Scenarios.RunAsync(settings);
}
catch (Exception ex)
{
    Console.Error.WriteLine(ex);
    Console.WriteLine($"exit 1: the run stopped: {ex.Message.Split('\n')[0]}");
    return 1;
}
var commit = Git("rev-parse", "--short", "HEAD") + (Git("status", "--porcelain").Length > 0 ? "+dirty" : "");
var table = Reports.Table(run);
Directory.CreateDirectory(output);
await File.WriteAllTextAsync(Path.Combine(output, "report.json"), Reports.Json(run, commit));
await File.WriteAllTextAsync(Path.Combine(output, "report.html"), Reports.Html(run, commit, table));
foreach (var (file, svg) in Reports.Charts(run)) await File.WriteAllTextAsync(Path.Combine(output, file), svg);
Console.WriteLine(table);
Console.WriteLine($"Reports: {output}/report.json, {output}/report.html");
// Missed speed targets are reported above, not failed: the exit code says whether the run was correct.
foreach (var failure in run.Failures) Console.WriteLine($"exit 1: {failure}");
return run.Failures.Count == 0 ? 0 : 1;

static string Git(params string[] gitArgs)
{
    try
    {
        var info = new ProcessStartInfo("git", gitArgs) { RedirectStandardOutput = true, WorkingDirectory = BenchEnvironment.RepositoryRoot };
        using var p = Process.Start(info)!;
        var text = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return text;
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return "unknown";
    }
}
