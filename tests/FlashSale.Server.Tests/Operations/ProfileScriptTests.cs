using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests.Operations;

/// <summary>
/// scripts/profile.sh as docs/benchmarks.md uses it: perf samples a server started with the JIT's perf map while requests
/// run, and the report names the server's managed frames (not only kernel and runtime addresses).
/// </summary>
public sealed class ProfileScriptTests() : EmbeddedServerTest(new Dictionary<string, string>
{
    ["DOTNET_PerfMapEnabled"] = "1",
    ["DOTNET_EnableWriteXorExecute"] = "0",
})
{
    [Fact]
    public async Task A_profile_of_a_busy_server_names_its_managed_frames()
    {
        var output = Directory.CreateTempSubdirectory("flashsale-profile-").FullName;
        using var stop = new CancellationTokenSource();
        var load = Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) await Client.GetAsync("api/sales");
        })));
        try
        {
            var (exitCode, report) = await Tool.RunAsync(new Dictionary<string, string> { ["PROFILE_TOP"] = "200" },
                "bash", Path.Combine(TestServices.RepositoryRoot, "scripts", "profile.sh"), Server.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "3", output);

            exitCode.Should().Be(0, report);
            report.Should().Contain("== CPU samples by library").And.Contain("[kernel.kallsyms]");
            report.Should().Contain("[Microsoft.AspNetCore.Server.Kestrel.Core]", "the perf map names the JIT's frames:\n" + report);
            File.Exists(Path.Combine(output, "perf.data")).Should().BeTrue();
        }
        finally
        {
            await stop.CancelAsync();
            await load;
            Directory.Delete(output, recursive: true);
            // The JIT's maps stay behind its process (megabytes each).
            foreach (var map in new[] { "perf", "perfinfo" }) File.Delete($"/tmp/{map}-{Server.ProcessId}.map");
        }
    }
}
