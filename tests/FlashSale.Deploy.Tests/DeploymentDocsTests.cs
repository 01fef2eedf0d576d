using System.Text.RegularExpressions;
using FlashSale.Deploy.Tests.Infrastructure;

namespace FlashSale.Deploy.Tests;

/// <summary>docs/deployment.md names what the files need, and says of each command whether it runs here.</summary>
public sealed partial class DeploymentDocsTests
{
    private static readonly string Doc = File.ReadAllText(Path.Combine(DeployFiles.Root, "docs", "deployment.md"));

    [Fact]
    public void It_names_every_variable_compose_requires()
    {
        var required = Compose.Load().Scalars().SelectMany(s => Compose.References(s.Text)).Where(r => r.Operator == ":?").Select(r => r.Name).Distinct();

        required.Where(variable => !Doc.Contains($"`{variable}`", StringComparison.Ordinal)).Should().BeEmpty("docs/deployment.md says how to set each");
    }

    [Fact]
    public void Its_kubectl_command_creates_every_key_of_the_secret_template_and_no_other()
    {
        var command = BashBlocks().Single(b => b.Contains("create secret generic", StringComparison.Ordinal));

        var keys = FromLiteral().Matches(command).Select(m => m.Groups[1].Value);

        keys.Should().BeEquivalentTo(Kubernetes.Load().SecretKeys);
    }

    [Fact]
    public void Every_command_says_whether_it_runs_here()
    {
        foreach (var block in BashBlocks())
        {
            block.Should().Match(b => b.Contains("not run here", StringComparison.Ordinal) || b.Contains("is run by the tests", StringComparison.Ordinal),
                $"this block says whether it was run: {block}");
        }
        Doc.Should().Contain("deploy/compose-env.sh > deploy/.env", "the command ComposeTests runs the script of");
    }

    private static IEnumerable<string> BashBlocks() => BashBlock().Matches(Doc).Select(m => m.Groups[1].Value);

    [GeneratedRegex("```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"--from-literal=([A-Za-z_][A-Za-z0-9_]*)=")]
    private static partial Regex FromLiteral();
}
