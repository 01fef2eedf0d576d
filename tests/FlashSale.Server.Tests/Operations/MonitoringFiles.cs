using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace FlashSale.Server.Tests.Operations;

/// <summary>The monitoring files of deploy/ (alerting rules, their unit tests, the Grafana dashboard) and the runbook, as the tests read them.</summary>
public static partial class MonitoringFiles
{
    public static string Alerts => Path.Combine(TestServices.RepositoryRoot, "deploy", "prometheus", "alerts.yml");
    public static string AlertTests => Path.Combine(TestServices.RepositoryRoot, "deploy", "prometheus", "alerts.test.yml");
    public static string Dashboard => Path.Combine(TestServices.RepositoryRoot, "deploy", "grafana", "flashsale.json");
    public static string Operations => Path.Combine(TestServices.RepositoryRoot, "docs", "operations.md");

    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .IgnoreUnmatchedProperties()
        .Build();

    public static IReadOnlyList<AlertRule> AlertRules() =>
        Yaml.Deserialize<RuleFile>(File.ReadAllText(Alerts)).Groups.SelectMany(g => g.Rules).Where(r => r.Alert is not null).ToList();

    public static RuleTestFile RuleTests() => Yaml.Deserialize<RuleTestFile>(File.ReadAllText(AlertTests));

    public static JsonObject DashboardJson() => JsonNode.Parse(File.ReadAllText(Dashboard))!.AsObject();

    /// <summary>Every panel of the dashboard (rows' collapsed panels too), rows excluded.</summary>
    public static IEnumerable<JsonObject> DashboardPanels()
    {
        foreach (var panel in DashboardJson()["panels"]!.AsArray().Select(p => p!.AsObject()))
        {
            if (panel["type"]?.GetValue<string>() != "row")
            {
                yield return panel;
                continue;
            }
            foreach (var inner in panel["panels"]?.AsArray() ?? []) yield return inner!.AsObject();
        }
    }

    /// <summary>Every PromQL expression of the dashboard: each panel target's, with the panel's title.</summary>
    public static IEnumerable<(string Panel, string Expr)> DashboardExpressions() =>
        DashboardPanels().SelectMany(p => (p["targets"]?.AsArray() ?? []).Select(t => (p["title"]!.GetValue<string>(), t!["expr"]?.GetValue<string>() ?? "")));

    /// <summary>Every query of docs/operations.md's "What to watch during a sale" table (each backticked piece of its second column), with the question.</summary>
    public static IEnumerable<(string Question, string Expr)> OperationsDocExpressions()
    {
        var inTable = false;
        foreach (var line in File.ReadAllLines(Operations))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal)) inTable = line == "## What to watch during a sale";
            if (!inTable || !line.StartsWith("| ", StringComparison.Ordinal) || line.StartsWith("| question", StringComparison.Ordinal)) continue;
            var cells = line.Split(" | ");
            foreach (Match query in Backticked().Matches(cells[1])) yield return (cells[0].TrimStart('|', ' '), query.Groups[1].Value);
        }
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex Backticked();

    /// <summary>The metric each <c>label_values(metric, label)</c> template variable reads.</summary>
    public static IEnumerable<(string Variable, string Metric)> DashboardVariableMetrics()
    {
        foreach (var variable in DashboardJson()["templating"]!["list"]!.AsArray().Select(v => v!.AsObject()))
        {
            var definition = variable["definition"]?.GetValue<string>() ?? "";
            if (LabelValues().Match(definition) is { Success: true } m) yield return (variable["name"]!.GetValue<string>(), m.Groups[1].Value);
        }
    }

    /// <summary>The anchors GitHub gives the headings of docs/operations.md (lower case, punctuation dropped, spaces as hyphens).</summary>
    public static IReadOnlySet<string> OperationsAnchors() =>
        File.ReadAllLines(Operations)
            .Where(l => l.StartsWith('#'))
            .Select(l => AnchorDropped().Replace(l.TrimStart('#').Trim().ToLowerInvariant(), "").Replace(' ', '-'))
            .ToHashSet();

    [GeneratedRegex(@"^\s*label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"[^\p{L}\p{Nd}\- _]")]
    private static partial Regex AnchorDropped();
}

public sealed class RuleFile
{
    public List<RuleGroup> Groups { get; set; } = [];
}

public sealed class RuleGroup
{
    public string Name { get; set; } = "";
    public List<AlertRule> Rules { get; set; } = [];
}

public sealed class AlertRule
{
    public string? Alert { get; set; }
    public string? Record { get; set; }
    public string Expr { get; set; } = "";
    public string? For { get; set; }
    public Dictionary<string, string> Labels { get; set; } = [];
    public Dictionary<string, string> Annotations { get; set; } = [];
}

public sealed class RuleTestFile
{
    public List<string> RuleFiles { get; set; } = [];
    public List<RuleTest> Tests { get; set; } = [];
}

public sealed class RuleTest
{
    public string Name { get; set; } = "";
    public List<AlertTestCase> AlertRuleTest { get; set; } = [];
}

public sealed class AlertTestCase
{
    public string EvalTime { get; set; } = "";
    public string Alertname { get; set; } = "";
    public List<ExpectedAlert> ExpAlerts { get; set; } = [];
}

public sealed class ExpectedAlert
{
    public Dictionary<string, string> ExpLabels { get; set; } = [];
    public Dictionary<string, string> ExpAnnotations { get; set; } = [];
}
