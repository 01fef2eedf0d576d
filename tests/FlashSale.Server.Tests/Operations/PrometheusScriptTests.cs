namespace FlashSale.Server.Tests.Operations;

/// <summary>
/// scripts/prometheus.sh without running Prometheus: the configuration it generates is one promtool accepts, scrapes
/// the given targets with the admin key on the loopback, and loads the alerting rules; bad settings are refused.
/// (Running it: <see cref="MonitoringLiveTests"/>, through <see cref="PrometheusProcess"/>.)
/// </summary>
public sealed class PrometheusScriptTests
{
    private static string Script => Path.Combine(TestServices.RepositoryRoot, "scripts", "prometheus.sh");

    [Fact]
    public async Task The_generated_configuration_is_valid_and_scrapes_the_targets_with_the_admin_key()
    {
        var directory = Directory.CreateTempSubdirectory("flashsale-prometheus-config-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "admin-key"), TestServices.AdminKey);
            var (exitCode, config) = await Tool.RunAsync(new Dictionary<string, string>
            {
                ["FLASHSALE_PROMETHEUS_DIR"] = directory,
                ["FLASHSALE_PROMETHEUS_TARGETS"] = "127.0.0.1:5081,127.0.0.1:5082",
                ["FLASHSALE_ADMIN_KEY"] = TestServices.AdminKey,
            }, "bash", Script, "config");
            exitCode.Should().Be(0, config);
            config.Should().Contain("scrape_interval: 1s").And.Contain("evaluation_interval: 1s")
                .And.Contain($"'{MonitoringFiles.Alerts}'")
                .And.Contain("job_name: flashsale")
                .And.Contain("type: Bearer").And.Contain($"credentials_file: '{directory}/admin-key'")
                .And.Contain("targets: ['127.0.0.1:5081', '127.0.0.1:5082']")
                .And.NotContain(TestServices.AdminKey, "the key is in a file of its own, not in the configuration");

            var file = Path.Combine(directory, "prometheus.yml");
            await File.WriteAllTextAsync(file, config);
            var (checkExit, checkOutput) = await Tool.RunAsync("promtool", "check", "config", file);
            checkExit.Should().Be(0, checkOutput + "\n" + config);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("FLASHSALE_PROMETHEUS_PORT", "99999", "must be a port number")]
    [InlineData("FLASHSALE_PROMETHEUS_TARGETS", "127.0.0.1:5080 x;y", "is not host:port")]
    [InlineData("FLASHSALE_PROMETHEUS_INTERVAL", "soon", "must be a duration")]
    public async Task Bad_settings_are_refused(string setting, string value, string message)
    {
        var (exitCode, output) = await Tool.RunAsync(new Dictionary<string, string> { [setting] = value }, "bash", Script, "config");
        exitCode.Should().NotBe(0, output);
        output.Should().Contain(message);
    }
}
