using System.Diagnostics;
using FlashSale.Testing;

namespace FlashSale.Bench;

/// <summary>The bench's secrets and the local services (scripts/services.sh); server processes through <see cref="BenchServerProcess"/>.</summary>
public static class BenchEnvironment
{
    public const string AdminKey = "bench-admin-key-0123456789";
    public const string SigningKey = "bench-signing-key-0123456789abcdef0123456789";
    /// <summary>The audience the bench's server takes, and its simulated buyers' tokens carry.</summary>
    public const string Audience = "flashsale-bench";
    public const string TokenSecret = "bench-token-secret-0123456789abcdef0123456789";
    public const string WebhookSecret = "bench-webhook-secret-0123456789abcdef0123456789";

    public static string RepositoryRoot => TestServices.RepositoryRoot;

    private static readonly string[] ServiceVariables = ["ConnectionStrings__Redis", "ConnectionStrings__RabbitMq", "ConnectionStrings__Postgres"];

    /// <summary>
    /// Starts (or finds running) Redis, RabbitMQ and PostgreSQL; returns their connection settings. When all three
    /// ConnectionStrings__* variables are set, the services they name are used as they are and nothing is started.
    /// </summary>
    public static Dictionary<string, string> StartServices()
    {
        var given = ServiceVariables.Select(name => (name, value: Environment.GetEnvironmentVariable(name))).ToList();
        if (given.All(g => !string.IsNullOrEmpty(g.value))) return given.ToDictionary(g => g.name, g => g.value!);
        var info = new ProcessStartInfo("bash", [Path.Combine(RepositoryRoot, "scripts", "services.sh"), "start"]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException("scripts/services.sh start failed");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }
}

/// <summary>The server a measurement runs against: this binary as <c>bench serve</c>, through the tests' launcher.</summary>
public static class BenchServerProcess
{
    public static async Task<ServerProcess> StartAsync(IDictionary<string, string> settings)
    {
        var environment = new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Warning",
            ["FlashSale__AdminKey"] = BenchEnvironment.AdminKey,
            ["FlashSale__Auth__SigningKey"] = BenchEnvironment.SigningKey,
            ["FlashSale__Auth__Audience"] = BenchEnvironment.Audience,
            ["FlashSale__Gateway__TokenSecret"] = BenchEnvironment.TokenSecret,
            ["FlashSale__Payments__WebhookSecret"] = BenchEnvironment.WebhookSecret,
            ["FlashSale__Auth__DevTokens"] = "true",
        };
        foreach (var (key, value) in settings) environment[key] = value;
        var server = ServerProcess.Of(typeof(BenchServerProcess).Assembly.Location, [Baselines.BenchServer.Command], environment);
        await server.StartAsync(TimeSpan.FromSeconds(60));
        return server;
    }
}
