using System.Diagnostics;
using System.Text.Json.Nodes;
using StackExchange.Redis;

namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>Driving reconciliation: the admin calls, the command line, and direct edits of the gate's Redis keys.</summary>
public static class Reconciliation
{
    private static readonly Lazy<ConnectionMultiplexer> Redis = new(() => ConnectionMultiplexer.Connect(TestServices.Redis));

    public static IDatabase Gate => Redis.Value.GetDatabase();

    public static RedisKey GateKey(long saleId, string name) => $"fs:{{sale:{saleId}}}:{name}";

    public static async Task<JsonObject> ReconcileAsync(this FlashSaleClient client, string saleId, bool repair = false)
    {
        var (status, body) = await client.PostAsync($"api/admin/sales/{saleId}/reconcile{(repair ? "?repair=true" : "")}", new { }, adminKey: TestServices.AdminKey);
        status.Should().Be(200, body?.ToJsonString());
        return body!;
    }

    /// <summary>Reconciles until <paramref name="done"/> holds: a shared queue may briefly hold other tests' messages.</summary>
    public static async Task<JsonObject> ReconcileUntilAsync(this FlashSaleClient client, string saleId, Func<JsonObject, bool> done, bool repair = false)
    {
        JsonObject report = null!;
        for (var i = 0; i < 60; i++)
        {
            report = await client.ReconcileAsync(saleId, repair);
            if (done(report)) return report;
            await Task.Delay(500);
        }
        return report;
    }

    public static string Status(this JsonObject report) => report["status"]!.GetValue<string>();

    public static string[] Kinds(this JsonObject report) =>
        report["differences"]!.AsArray().Select(d => d!["kind"]!.GetValue<string>()).ToArray();

    public static string[] OrderIds(this JsonObject report, string kind) =>
        report["differences"]!.AsArray().Where(d => d!["kind"]!.GetValue<string>() == kind)
            .SelectMany(d => d!["orderIds"]!.AsArray().Select(id => id!.GetValue<string>())).ToArray();

    public static string[] RepairedKinds(this JsonObject report) =>
        report["repaired"]!.AsArray().Select(d => d!["kind"]!.GetValue<string>()).ToArray();

    /// <summary>Buys and returns the order id.</summary>
    public static async Task<string> BuyAsync(this FlashSaleClient client, string saleId, string user, int quantity)
    {
        var token = await client.TokenAsync(user);
        var answer = await client.PurchaseAsync(saleId, token, quantity, "r-" + Guid.NewGuid().ToString("N"));
        answer.Status.Should().Be(202, answer.Code);
        return answer.OrderId!;
    }

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

    public static Dictionary<string, string> DistributedEnvironment => new()
    {
        ["ConnectionStrings__Redis"] = TestServices.Redis,
        ["ConnectionStrings__RabbitMq"] = TestServices.RabbitMq,
        ["ConnectionStrings__Postgres"] = TestServices.Postgres,
        ["FlashSale__Mode"] = "Distributed",
        ["FlashSale__Reconciliation__InFlightGrace"] = "00:00:01",
    };

    public static Dictionary<string, string> EmbeddedEnvironment(string databasePath) => new()
    {
        ["FlashSale__Mode"] = "Embedded",
        ["FlashSale__Embedded__DatabasePath"] = databasePath,
        ["FlashSale__Embedded__DemoSale"] = "false",
        ["FlashSale__Reconciliation__InFlightGrace"] = "00:00:01",
    };
}
