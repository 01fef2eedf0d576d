using System.Diagnostics;
using System.Security.Cryptography;

namespace FlashSale.Deploy.Tests.Infrastructure;

/// <summary>One kind of FlashSale container a deployment file runs, with the environment the file gives it.</summary>
/// <param name="Name">The file and the service or Deployment, e.g. "compose api".</param>
/// <param name="Role">The FlashSale role it is meant to run.</param>
/// <param name="Environment">Its environment, secrets filled (compose: from deploy/compose-env.sh; Kubernetes: random).</param>
/// <param name="ProbePaths">The HTTP paths its orchestrator probes.</param>
public sealed record Workload(string Name, string Role, IReadOnlyDictionary<string, string> Environment, IReadOnlyList<string> ProbePaths)
{
    public override string ToString() => Name;
}

/// <summary>compose's api and worker services and the Kubernetes api and worker Deployments.</summary>
public static class Workloads
{
    public static readonly TheoryData<string> Names = new() { "compose api", "compose worker", "k8s api", "k8s worker" };

    private static readonly Lazy<Dictionary<string, Workload>> All = new(Build);

    public static Workload Named(string name) => All.Value[name];

    /// <summary>deploy/compose-env.sh's output, as deploy/.env holds it after the documented command.</summary>
    public static IReadOnlyDictionary<string, string> ComposeVariables => ComposeEnv.Value;

    private static readonly Lazy<Dictionary<string, string>> ComposeEnv = new(RunComposeEnvScript);

    private static Dictionary<string, Workload> Build()
    {
        var compose = Compose.Load();
        var healthCheck = Dockerfile.Load().HealthCheckPath;
        var kubernetes = Kubernetes.Load();
        var secrets = kubernetes.SecretKeys.ToDictionary(k => k, _ => Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant(), StringComparer.Ordinal);
        var workloads = new List<Workload>();
        foreach (var role in new[] { "api", "worker" })
        {
            workloads.Add(new($"compose {role}", role, Compose.Environment(compose.Service(role), ComposeVariables), [healthCheck]));
            var deployment = kubernetes.Deployment($"flashsale-{role}");
            var container = Kubernetes.Container(deployment);
            workloads.Add(new($"k8s {role}", role, kubernetes.Environment(deployment, secrets),
                [.. new[] { "startupProbe", "livenessProbe", "readinessProbe" }.Select(p => container.At(p, "httpGet", "path")?.Text).OfType<string>()]));
        }
        return workloads.ToDictionary(w => w.Name);
    }

    /// <summary>Runs deploy/compose-env.sh as docs/deployment.md does and reads the KEY=VALUE lines it prints.</summary>
    public static Dictionary<string, string> RunComposeEnvScript()
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = DeployFiles.Root };
        info.ArgumentList.Add(DeployFiles.ComposeEnvScript);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, errors);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => !line.StartsWith('#'))
            .Select(line => line.Split('=', 2))
            .ToDictionary(parts => parts[0], parts => parts.Length == 2 ? parts[1] : throw new InvalidOperationException($"compose-env.sh printed '{parts[0]}'"), StringComparer.Ordinal);
    }
}
