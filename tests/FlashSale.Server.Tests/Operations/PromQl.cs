using System.Text.RegularExpressions;

namespace FlashSale.Server.Tests.Operations;

/// <summary>
/// The metric names a PromQL expression reads. Not a parser: string literals, label matchers, range and subquery
/// brackets, Grafana variables and grouping clauses (<c>by (...)</c>, <c>on (...)</c>, ...) are removed, and what is left
/// is numbers, operators, keywords, function and aggregation names (followed by a parenthesis) and metric names.
/// </summary>
public static partial class PromQl
{
    private static readonly HashSet<string> Keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan",
    };

    /// <summary>Prometheus' own series, made by the scrape rather than exported by a target.</summary>
    public static readonly IReadOnlySet<string> ScrapeSeries = new HashSet<string>
    {
        "up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling", "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE",
    };

    public static IReadOnlySet<string> MetricNames(string expression)
    {
        var text = StringLiteral().Replace(expression, " ");
        text = GrafanaVariable().Replace(text, " ");
        text = LabelMatchers().Replace(text, " ");
        text = RangeOrSubquery().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match token in Token().Matches(text))
        {
            var name = token.Groups["name"];
            if (!name.Success || token.Groups["call"].Success || Keywords.Contains(name.Value)) continue;
            names.Add(name.Value);
        }
        return names;
    }

    /// <summary>The family a name belongs to, given the families an exposition declares (<c># TYPE</c>): a histogram's
    /// <c>_bucket</c>, <c>_sum</c> and <c>_count</c> series belong to the histogram; null when none declares it.</summary>
    public static string? Family(string name, IReadOnlyDictionary<string, string> families)
    {
        if (families.ContainsKey(name)) return name;
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && families.TryGetValue(name[..^suffix.Length], out var type)
                && type is "histogram" or "summary")
                return name[..^suffix.Length];
        }
        return null;
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\$\{[^}]*\}|\$\w+")]
    private static partial Regex GrafanaVariable();

    [GeneratedRegex(@"\{[^{}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex(@"\[[^\[\]]*\]")]
    private static partial Regex RangeOrSubquery();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex Grouping();

    [GeneratedRegex(@"(?<number>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[smhdwy]?)|(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<call>\s*\()?")]
    private static partial Regex Token();
}
