using System.Text;
using System.Text.Json;

namespace FlashSale.Deploy.Tests.Infrastructure;

/// <summary>One Dockerfile instruction: its keyword (upper case), its arguments (continuation lines joined) and its line.</summary>
public sealed record Instruction(string Keyword, string Arguments, int Line)
{
    /// <summary>The arguments split on blanks, options (--from=...) included.</summary>
    public IReadOnlyList<string> Words => Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The arguments' exec form (a JSON array), e.g. ENTRYPOINT ["dotnet", "x.dll"].</summary>
    public IReadOnlyList<string> ExecForm(string arguments) =>
        arguments.TrimStart().StartsWith('[')
            ? JsonSerializer.Deserialize<string[]>(arguments) ?? []
            : throw new InvalidOperationException($"Dockerfile line {Line}: {Keyword} is not in exec form: {arguments}");

    public override string ToString() => $"line {Line}: {Keyword} {Arguments}";
}

/// <summary>A build stage: its base image, its name (AS ...) and its instructions after FROM.</summary>
public sealed record Stage(string Image, string? Name, IReadOnlyList<Instruction> Instructions);

/// <summary>The repository's Dockerfile, parsed: instructions by stage.</summary>
public sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<Stage> stages) => Stages = stages;

    public IReadOnlyList<Stage> Stages { get; }

    public Stage Final => Stages[^1];

    public static Dockerfile Load() => Parse(File.ReadAllText(DeployFiles.Dockerfile));

    public static Dockerfile Parse(string text)
    {
        var instructions = new List<Instruction>();
        var current = new StringBuilder();
        var start = 0;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (current.Length == 0 && (line.TrimStart().StartsWith('#') || string.IsNullOrWhiteSpace(line))) continue;
            if (current.Length > 0 && line.TrimStart().StartsWith('#')) continue; // comments inside a continued instruction
            if (current.Length == 0) start = i + 1;
            var continued = line.EndsWith('\\');
            current.Append(continued ? line[..^1] : line).Append(' ');
            if (continued) continue;
            var joined = current.ToString().Trim();
            current.Clear();
            var space = joined.IndexOf(' ', StringComparison.Ordinal);
            instructions.Add(space < 0 ? new(joined.ToUpperInvariant(), "", start) : new(joined[..space].ToUpperInvariant(), joined[(space + 1)..].Trim(), start));
        }
        var stages = new List<Stage>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword == "FROM")
            {
                var words = instruction.Words.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
                stages.Add(new Stage(words[0], words.Count >= 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null, []));
            }
            else if (stages.Count == 0)
            {
                if (instruction.Keyword != "ARG") throw new InvalidOperationException($"{instruction} comes before any FROM.");
            }
            else
            {
                stages[^1] = stages[^1] with { Instructions = [.. stages[^1].Instructions, instruction] };
            }
        }
        return new Dockerfile(stages);
    }

    /// <summary>The final stage's HEALTHCHECK command (exec form).</summary>
    public IReadOnlyList<string> HealthCheckCommand
    {
        get
        {
            var healthCheck = Final.Instructions.LastOrDefault(i => i.Keyword == "HEALTHCHECK") ?? throw new InvalidOperationException("The final stage has no HEALTHCHECK.");
            var at = healthCheck.Arguments.IndexOf("CMD ", StringComparison.Ordinal);
            return at < 0 ? throw new InvalidOperationException($"{healthCheck}: no CMD") : healthCheck.ExecForm(healthCheck.Arguments[(at + 4)..]);
        }
    }

    /// <summary>The HTTP path the HEALTHCHECK requests ("GET /path HTTP/1.1").</summary>
    public string HealthCheckPath
    {
        get
        {
            var script = string.Join(' ', HealthCheckCommand);
            var at = script.IndexOf("GET /", StringComparison.Ordinal);
            return at < 0 ? throw new InvalidOperationException($"The HEALTHCHECK sends no GET: {script}") : script[(at + 4)..].Split(' ')[0];
        }
    }
}
