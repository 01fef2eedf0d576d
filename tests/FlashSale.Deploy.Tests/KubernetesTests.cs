using FlashSale.Deploy.Tests.Infrastructure;

namespace FlashSale.Deploy.Tests;

/// <summary>
/// deploy/k8s, read as the API server would take it (no cluster here to apply it to): the api and worker Deployments with
/// their probes, resources and security context, and Services, PodDisruptionBudgets and the HorizontalPodAutoscaler that
/// select exactly the pods of a Deployment that exists. The probed paths are checked on live servers in
/// <see cref="ConfigurationKeyTests"/>.
/// </summary>
public sealed class KubernetesTests
{
    private static readonly Kubernetes Manifests = Kubernetes.Load();

    [Theory]
    [InlineData("flashsale-api", 3)]
    [InlineData("flashsale-worker", 2)]
    public void Each_deployment_probes_liveness_and_readiness_and_asks_for_resources(string name, int replicas)
    {
        var deployment = Manifests.Deployment(name);
        var container = Kubernetes.Container(deployment);

        deployment["apiVersion"].Text.Should().Be("apps/v1");
        deployment["spec"]["replicas"].Text.Should().Be($"{replicas}");
        container.At("livenessProbe", "httpGet", "path")!.Text.Should().Be("/health/live");
        container.At("readinessProbe", "httpGet", "path")!.Text.Should().Be("/health/ready");
        var ports = container["ports"].Items.Select(p => p["name"].Text).ToList();
        foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
        {
            ports.Should().Contain(container.At(probe, "httpGet", "port")!.Text, $"{probe} probes a port the container declares");
        }
        container["ports"].Items.Single()["containerPort"].Text.Should().Be("8080", "the aspnet image's ASPNETCORE_HTTP_PORTS");
        foreach (var kind in new[] { "requests", "limits" })
        {
            container["resources"][kind].ToDictionary().Keys.Should().Contain(["cpu", "memory"], $"{name} states its {kind}");
        }
    }

    [Theory]
    [InlineData("flashsale-api")]
    [InlineData("flashsale-worker")]
    public void Each_deployment_runs_as_the_images_non_root_user_on_a_read_only_root(string name)
    {
        var pod = Manifests.Deployment(name)["spec"]["template"]["spec"];
        var container = Kubernetes.Container(Manifests.Deployment(name));

        pod["securityContext"]["runAsNonRoot"].Text.Should().Be("true");
        pod["securityContext"]["runAsUser"].Text.Should().Be("1654", "the aspnet image's APP_UID");
        container["securityContext"]["readOnlyRootFilesystem"].Text.Should().Be("true");
        container["securityContext"]["allowPrivilegeEscalation"].Text.Should().Be("false");
        container["securityContext"]["capabilities"]["drop"].Items.Select(c => c.Text).Should().Equal("ALL");
        var tmp = container["volumeMounts"].Items.Should().ContainSingle(m => m["mountPath"].Text == "/tmp").Subject;
        pod["volumes"].Items.Should().Contain(v => v["name"].Text == tmp["name"].Text && v.Get("emptyDir") != null, "/tmp is writable");
        container["image"].Text.Should().Be(Kubernetes.Kustomization["images"].Items.Single()["name"].Text, "kustomization.yaml sets the image");
    }

    [Theory]
    [InlineData("flashsale-api")]
    [InlineData("flashsale-worker")]
    public void Each_deployment_selects_its_own_pods(string name)
    {
        var deployment = Manifests.Deployment(name);
        var selector = deployment["spec"]["selector"]["matchLabels"].ToDictionary();
        var labels = deployment["spec"]["template"]["metadata"]["labels"].ToDictionary();

        labels.Should().Contain(selector);
        foreach (var other in Manifests.OfKind("Deployment").Where(d => d != deployment))
        {
            Matches(selector, other).Should().BeFalse($"{name}'s selector takes no pod of {other["metadata"]["name"].Text}");
        }
    }

    [Fact]
    public void Services_and_disruption_budgets_select_the_pods_of_exactly_one_deployment()
    {
        var selectors = Manifests.OfKind("Service").Select(s => (s, Selector: s["spec"]["selector"].ToDictionary()))
            .Concat(Manifests.OfKind("PodDisruptionBudget").Select(p => (s: p, Selector: p["spec"]["selector"]["matchLabels"].ToDictionary())))
            .ToList();

        selectors.Should().HaveCount(4, "a Service and a PodDisruptionBudget for each of api and worker");
        foreach (var (resource, selector) in selectors)
        {
            Manifests.OfKind("Deployment").Where(d => Matches(selector, d)).Should().ContainSingle($"{resource.Path} selects one Deployment's pods");
        }
        foreach (var service in Manifests.OfKind("Service"))
        {
            var deployment = Manifests.OfKind("Deployment").Single(d => Matches(service["spec"]["selector"].ToDictionary(), d));
            var ports = Kubernetes.Container(deployment)["ports"].Items.Select(p => p["name"].Text);
            service["spec"]["ports"].Items.Select(p => p["targetPort"].Text).Should().BeSubsetOf(ports, $"{service.Path} targets a port the pods declare");
        }
    }

    [Fact]
    public void The_api_scales_with_cpu_and_the_workers_do_not()
    {
        var autoscaler = Manifests.OfKind("HorizontalPodAutoscaler").Should().ContainSingle().Subject;

        autoscaler["apiVersion"].Text.Should().Be("autoscaling/v2");
        var target = autoscaler["spec"]["scaleTargetRef"];
        (target["apiVersion"].Text, target["kind"].Text).Should().Be(("apps/v1", "Deployment"));
        Manifests.Deployment(target["name"].Text).Should().BeSameAs(Manifests.Deployment("flashsale-api"), "the HPA scales the api Deployment");
        var metric = autoscaler["spec"]["metrics"].Items.Should().ContainSingle().Subject;
        (metric["type"].Text, metric["resource"]["name"].Text).Should().Be(("Resource", "cpu"));
        int.Parse(autoscaler["spec"]["minReplicas"].Text, System.Globalization.CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(2);
        Kubernetes.Container(Manifests.Deployment("flashsale-api"))["resources"]["requests"].Get("cpu").Should().NotBeNull("CPU utilization is measured against the request");
    }

    [Fact]
    public void Kustomize_applies_every_manifest_but_the_secret_template_which_holds_no_value()
    {
        var files = Directory.GetFiles(DeployFiles.Kubernetes, "*.yaml").Select(Path.GetFileName)
            .Except(["kustomization.yaml", Path.GetFileName(DeployFiles.SecretTemplate)]);

        Kubernetes.KustomizationResources.Should().BeEquivalentTo(files, "kubectl apply -k applies them all");
        Manifests.SecretTemplate["kind"].Text.Should().Be("Secret");
        Manifests.SecretTemplate["stringData"].Entries.Should().OnlyContain(e => e.Value.Text == "", "the template holds no secret, not even a placeholder");
        foreach (var manifest in Manifests.Manifests.Where(m => m["kind"].Text != "Namespace").Append(Manifests.SecretTemplate))
        {
            manifest["metadata"]["namespace"].Text.Should().Be(Kubernetes.Kustomization["namespace"].Text, $"{manifest.Path} also applies with kubectl apply -f");
        }
    }

    [Fact]
    public void The_configmap_holds_no_secret()
    {
        var data = Manifests.Named("ConfigMap", "flashsale-config")["data"].ToDictionary();

        data.Keys.Should().NotIntersectWith(ServerConfiguration.RequiredSecrets).And.NotContain(k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal));
    }

    private static bool Matches(IReadOnlyDictionary<string, string> selector, YamlValue deployment)
    {
        var labels = deployment["spec"]["template"]["metadata"]["labels"].ToDictionary();
        return selector.Count > 0 && selector.All(s => labels.TryGetValue(s.Key, out var value) && value == s.Value);
    }
}
