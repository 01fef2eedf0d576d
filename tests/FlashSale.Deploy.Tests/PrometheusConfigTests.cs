using FlashSale.Deploy.Tests.Infrastructure;

namespace FlashSale.Deploy.Tests;

/// <summary>
/// deploy/prometheus/prometheus.yml against the compose file it runs in: one job per FlashSale service, each scraping
/// /metrics on the port the image listens on with the admin key compose hands Prometheus, and alerts.yml as its rules.
/// (promtool is not required by the tests; docs/deployment.md says how to check the file with it.)
/// </summary>
public sealed class PrometheusConfigTests
{
    private static readonly YamlValue Config = YamlValue.Load(DeployFiles.Prometheus);
    private static readonly Compose ComposeFile = Compose.Load();

    [Theory]
    [InlineData("flashsale-api", "api")]
    [InlineData("flashsale-worker", "worker")]
    public void Each_flashsale_service_is_scraped_on_its_metrics_path_with_the_admin_key(string job, string service)
    {
        var scrape = Config["scrape_configs"].Items.Single(j => j["job_name"].Text == job);

        scrape["metrics_path"].Text.Should().Be("/metrics");
        var discovery = scrape["dns_sd_configs"].Items.Should().ContainSingle().Subject;
        discovery["names"].Items.Select(n => n.Text).Should().Equal(service);
        ComposeFile.Services.Get(service).Should().NotBeNull($"{service} is a compose service");
        discovery["type"].Text.Should().Be("A", "docker's DNS answers a service's name with one address per replica");
        discovery["port"].Text.Should().Be(Dockerfile.Load().Final.Instructions.Single(i => i.Keyword == "EXPOSE").Arguments);

        scrape["authorization"]["type"].Text.Should().Be("Bearer");
        var secrets = ComposeFile.Service("prometheus")["secrets"].Items.Select(s => $"/run/secrets/{s.Text}");
        secrets.Should().Contain(scrape["authorization"]["credentials_file"].Text, "compose mounts the admin key there");
    }

    [Fact]
    public void It_evaluates_the_alert_rules_next_to_it()
    {
        Config["rule_files"].Items.Select(r => r.Text).Should().Equal("alerts.yml");
        ComposeFile.Service("prometheus")["volumes"].Items.Select(v => v.Text).Should().Contain("./prometheus:/etc/prometheus:ro",
            "prometheus.yml and alerts.yml are mounted together, where the image looks for its configuration");
    }
}
