namespace FlashSale.Deploy.Tests.Infrastructure;

/// <summary>deploy/k8s: the manifests kustomization.yaml applies, the Secret template, and a container's environment.</summary>
public sealed class Kubernetes
{
    private Kubernetes(IReadOnlyList<YamlValue> manifests, YamlValue secretTemplate) => (Manifests, SecretTemplate) = (manifests, secretTemplate);

    /// <summary>Every resource of the files kustomization.yaml lists.</summary>
    public IReadOnlyList<YamlValue> Manifests { get; }

    /// <summary>flashsale-secrets, as the operator is to fill it.</summary>
    public YamlValue SecretTemplate { get; }

    public static YamlValue Kustomization => YamlValue.Load(DeployFiles.Kustomization);

    public static IReadOnlyList<string> KustomizationResources => [.. Kustomization["resources"].Items.Select(i => i.Text)];

    public static Kubernetes Load() => new(
        [.. KustomizationResources.SelectMany(file => YamlValue.LoadAll(Path.Combine(DeployFiles.Kubernetes, file)))],
        YamlValue.Load(DeployFiles.SecretTemplate));

    public IEnumerable<YamlValue> OfKind(string kind) => Manifests.Where(m => m["kind"].Text == kind);

    public YamlValue Named(string kind, string name) =>
        OfKind(kind).SingleOrDefault(m => m["metadata"]["name"].Text == name) ?? throw new InvalidOperationException($"No {kind} named {name} in deploy/k8s.");

    public YamlValue Deployment(string name) => Named("Deployment", name);

    public static YamlValue Container(YamlValue deployment) => deployment["spec"]["template"]["spec"]["containers"].Items.Single();

    /// <summary>
    /// The environment a Deployment's container starts with: its ConfigMaps and the Secret (envFrom), then its own env
    /// (which wins). The Secret's values are <paramref name="secretValues"/>: the template holds none.
    /// </summary>
    public Dictionary<string, string> Environment(YamlValue deployment, IReadOnlyDictionary<string, string> secretValues)
    {
        var container = Container(deployment);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var source in container.Get("envFrom")?.Items ?? [])
        {
            if (source.Get("configMapRef") is { } configMap)
            {
                foreach (var (key, value) in Named("ConfigMap", configMap["name"].Text)["data"].ToDictionary()) environment[key] = value;
            }
            else if (source.Get("secretRef") is { } secret)
            {
                secret["name"].Text.Should().Be(SecretTemplate["metadata"]["name"].Text, $"{secret.Path} names the Secret of secret.template.yaml");
                foreach (var key in SecretKeys) environment[key] = secretValues[key];
            }
            else
            {
                throw new InvalidOperationException($"{source.Path}: neither configMapRef nor secretRef.");
            }
        }
        foreach (var variable in container.Get("env")?.Items ?? [])
        {
            var name = variable["name"].Text;
            if (variable.Get("value") is { } value) environment[name] = value.Text;
            else if (variable.At("valueFrom", "secretKeyRef") is { } secretKey) environment[name] = secretValues[secretKey["key"].Text];
            else if (variable.At("valueFrom", "configMapKeyRef") is { } configKey)
                environment[name] = Named("ConfigMap", configKey["name"].Text)["data"][configKey["key"].Text].Text;
            else throw new InvalidOperationException($"{variable.Path}: a value these tests cannot resolve.");
        }
        return environment;
    }

    /// <summary>The keys of the Secret template (stringData).</summary>
    public IReadOnlyList<string> SecretKeys => [.. SecretTemplate["stringData"].Entries.Select(e => e.Key)];
}
