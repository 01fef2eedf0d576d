namespace FlashSale.Server.Tests.Operations;

/// <summary>
/// deploy/prometheus/alerts.yml as Prometheus reads it: promtool accepts it, its unit tests (alerts.test.yml) pass,
/// yamllint finds nothing, and every alert has a severity, a summary, a description and a runbook section in
/// docs/operations.md, and is unit-tested both firing and silent.
/// </summary>
public sealed class AlertRulesTests
{
    [Fact]
    public async Task Promtool_accepts_the_rules()
    {
        var (exitCode, output) = await Tool.RunAsync("promtool", "check", "rules", MonitoringFiles.Alerts);
        exitCode.Should().Be(0, output);
    }

    [Fact]
    public async Task The_rules_pass_their_promtool_unit_tests()
    {
        var (exitCode, output) = await Tool.RunAsync("promtool", "test", "rules", MonitoringFiles.AlertTests);
        exitCode.Should().Be(0, output);
        output.Should().Contain("SUCCESS");
    }

    [Fact]
    public async Task The_rule_files_pass_yamllint()
    {
        // The repository's configuration, the one deploy/'s other YAML is held to.
        var (exitCode, output) = await Tool.RunAsync("yamllint", "--strict", "--config-file", ".yamllint", MonitoringFiles.Alerts, MonitoringFiles.AlertTests);
        exitCode.Should().Be(0, output);
    }

    [Fact]
    public void Every_alert_has_a_severity_a_summary_a_description_and_a_runbook_section()
    {
        var rules = MonitoringFiles.AlertRules();
        rules.Should().HaveCountGreaterThanOrEqualTo(10);
        rules.Select(r => r.Alert).Should().OnlyHaveUniqueItems();
        var anchors = MonitoringFiles.OperationsAnchors();
        foreach (var rule in rules)
        {
            rule.Labels.Should().ContainKey("severity", rule.Alert);
            rule.Labels["severity"].Should().BeOneOf(["page", "ticket"], rule.Alert);
            rule.Annotations.Should().ContainKeys("summary", "description", "runbook");
            rule.Annotations["runbook"].Should().StartWith("docs/operations.md#", rule.Alert);
            anchors.Should().Contain(rule.Annotations["runbook"]["docs/operations.md#".Length..], $"{rule.Alert}'s runbook is a section of docs/operations.md");
        }
    }

    [Fact]
    public void Every_alert_is_unit_tested_firing_and_silent()
    {
        var tests = MonitoringFiles.RuleTests();
        tests.RuleFiles.Should().Equal("alerts.yml");
        var cases = tests.Tests.SelectMany(t => t.AlertRuleTest).ToList();
        var firing = cases.Where(c => c.ExpAlerts.Count > 0).Select(c => c.Alertname).ToHashSet();
        var silent = cases.Where(c => c.ExpAlerts.Count == 0).Select(c => c.Alertname).ToHashSet();
        var alerts = MonitoringFiles.AlertRules().Select(r => r.Alert!).ToList();
        alerts.Except(firing).Should().BeEmpty("every alert is tested firing");
        alerts.Except(silent).Should().BeEmpty("every alert is tested silent");
        cases.Select(c => c.Alertname).Except(alerts).Should().BeEmpty("the tests name existing alerts");
    }
}
