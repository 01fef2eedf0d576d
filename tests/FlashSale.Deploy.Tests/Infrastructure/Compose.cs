using System.Text;
using System.Text.RegularExpressions;

namespace FlashSale.Deploy.Tests.Infrastructure;

/// <summary>deploy/compose.yaml as compose reads it: its services, and their environment after compose's interpolation.</summary>
public sealed partial class Compose
{
    private Compose(YamlValue root) => Root = root;

    public YamlValue Root { get; }

    public static Compose Load() => new(YamlValue.Load(DeployFiles.Compose));

    public YamlValue Services => Root["services"];

    public YamlValue Service(string name) => Services[name];

    /// <summary>A service's environment as written (before interpolation): the mapping or the KEY=VALUE list.</summary>
    public static Dictionary<string, string> RawEnvironment(YamlValue service)
    {
        if (service.Get("env_file") is not null) throw new InvalidOperationException($"{service.Path}: env_file is not read by these tests; use environment.");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        if (service.Get("environment") is not { } declared) return environment;
        if (declared.IsMapping)
        {
            foreach (var (key, value) in declared.Entries) environment[key] = value.Text;
        }
        else
        {
            foreach (var item in declared.Items)
            {
                var parts = item.Text.Split('=', 2);
                environment[parts[0]] = parts.Length == 2 ? parts[1] : throw new InvalidOperationException($"{item.Path}: '{item.Text}' takes its value from the shell; set it.");
            }
        }
        return environment;
    }

    /// <summary>A service's environment as its container gets it, <paramref name="variables"/> standing for the shell and deploy/.env.</summary>
    public static Dictionary<string, string> Environment(YamlValue service, IReadOnlyDictionary<string, string> variables) =>
        RawEnvironment(service).ToDictionary(e => e.Key, e => Interpolate(e.Value, variables, $"{service.Path}.environment.{e.Key}"), StringComparer.Ordinal);

    /// <summary>
    /// Compose's interpolation: <c>$$</c>, <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c>, <c>${VAR-default}</c>,
    /// <c>${VAR:?error}</c> and <c>${VAR?error}</c>. A required variable that is unset fails, as compose refuses to start.
    /// </summary>
    public static string Interpolate(string text, IReadOnlyDictionary<string, string> variables, string where)
    {
        var result = new StringBuilder();
        var last = 0;
        foreach (Match m in Reference().Matches(text))
        {
            result.Append(text, last, m.Index - last);
            last = m.Index + m.Length;
            if (m.Value == "$$") { result.Append('$'); continue; }
            var name = m.Groups["name"].Success ? m.Groups["name"].Value : m.Groups["bare"].Value;
            var op = m.Groups["op"].Value;
            var set = variables.TryGetValue(name, out var value);
            var empty = !set || value!.Length == 0;
            result.Append(op switch
            {
                ":-" => empty ? m.Groups["arg"].Value : value,
                "-" => set ? value : m.Groups["arg"].Value,
                ":?" => empty ? throw new InvalidOperationException($"{where}: required variable {name} is missing a value: {m.Groups["arg"].Value}") : value,
                "?" => set ? value : throw new InvalidOperationException($"{where}: required variable {name} is missing: {m.Groups["arg"].Value}"),
                _ => value ?? "",
            });
        }
        result.Append(text, last, text.Length - last);
        return result.ToString();
    }

    /// <summary>Every variable a text refers to, with its operator ("" for a plain reference) and argument.</summary>
    public static IEnumerable<(string Name, string Operator, string Argument)> References(string text) =>
        Reference().Matches(text).Where(m => m.Value != "$$")
            .Select(m => m.Groups["name"].Success ? (m.Groups["name"].Value, m.Groups["op"].Value, m.Groups["arg"].Value) : (m.Groups["bare"].Value, "", ""));

    /// <summary>Every scalar in the file (keys' values, list items), for the variables they refer to.</summary>
    public IEnumerable<YamlValue> Scalars() => ScalarsUnder(Root);

    private static IEnumerable<YamlValue> ScalarsUnder(YamlValue node) =>
        node.IsMapping ? node.Entries.SelectMany(e => ScalarsUnder(e.Value))
        : node.IsSequence ? node.Items.SelectMany(ScalarsUnder)
        : [node];

    [GeneratedRegex(@"\$\$|\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:-|-|:\?|\?)(?<arg>[^}]*))?\}|\$(?<bare>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex Reference();
}
