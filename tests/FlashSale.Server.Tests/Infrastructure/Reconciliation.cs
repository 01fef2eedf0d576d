using System.Diagnostics;
using StackExchange.Redis;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>Driving reconciliation from outside the API: the command line, and direct edits of the gate's Redis keys.</summary>
public static class Reconciliation
{
    private static readonly Lazy<ConnectionMultiplexer> Redis = new(() => ConnectionMultiplexer.Connect(TestServices.Redis));

    public static IDatabase Gate => Redis.Value.GetDatabase();

    public static RedisKey GateKey(long saleId, string name) => $"fs:{{sale:{saleId}}}:{name}";

    /// <summary>Runs <c>FlashSale.Server.dll reconcile ...</c> as its own process; returns its exit code and standard output.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunCommandAsync(IDictionary<string, string> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(ServerProcess.ServerDll)!,
        };
        info.ArgumentList.Add(ServerProcess.ServerDll);
        info.ArgumentList.Add("reconcile");
        foreach (var arg in args) info.ArgumentList.Add(arg);
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await errors);
    }

    public static Dictionary<string, string> DistributedEnvironment => TestServices.AsEnvironment(TestServices.DistributedSettings, ReconciliationReports.ShortInFlightGrace);

    public static Dictionary<string, string> EmbeddedEnvironment(string databasePath) => TestServices.AsEnvironment(TestServices.EmbeddedSettings(databasePath), ReconciliationReports.ShortInFlightGrace);
}
