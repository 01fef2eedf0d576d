namespace FlashSale.Deploy.Tests.Infrastructure;

/// <summary>Where the deployment files are.</summary>
public static class DeployFiles
{
    public static string Root => TestServices.RepositoryRoot;

    public static string Dockerfile => Path.Combine(Root, "Dockerfile");

    public static string DockerIgnore => Path.Combine(Root, ".dockerignore");

    public static string Deploy => Path.Combine(Root, "deploy");

    public static string Compose => Path.Combine(Deploy, "compose.yaml");

    public static string ComposeEnvScript => Path.Combine(Deploy, "compose-env.sh");

    public static string Prometheus => Path.Combine(Deploy, "prometheus", "prometheus.yml");

    public static string Kubernetes => Path.Combine(Deploy, "k8s");

    public static string Kustomization => Path.Combine(Kubernetes, "kustomization.yaml");

    public static string SecretTemplate => Path.Combine(Kubernetes, "secret.template.yaml");

    public static string ServerProject => Path.Combine(Root, "src", "FlashSale.Server", "FlashSale.Server.csproj");
}
