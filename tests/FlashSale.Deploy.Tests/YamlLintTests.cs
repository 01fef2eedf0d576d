using System.ComponentModel;
using System.Diagnostics;

namespace FlashSale.Deploy.Tests;

/// <summary>yamllint, with the repository's .yamllint, passes on everything under deploy/ (warnings count as failures).</summary>
public sealed class YamlLintTests
{
    [Fact]
    public async Task Yamllint_passes_on_deploy()
    {
        var info = new ProcessStartInfo("yamllint") { WorkingDirectory = TestServices.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["--strict", "--format", "parsable", "--config-file", ".yamllint", "deploy/"]) info.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException("yamllint is not installed: `apt-get install yamllint` (Debian's package), then run the tests again.", ex);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();

            process.ExitCode.Should().Be(0, $"yamllint found:\n{await output}{await errors}");
        }
    }
}
