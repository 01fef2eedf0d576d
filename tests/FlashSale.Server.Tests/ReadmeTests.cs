using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// The README's "Several API and worker processes" block, run as it stands (from the repository root, on the test
/// services): it generates its secrets, builds, and starts two API and two worker processes in Production, which
/// all come up ready and serve one deployment: a sale created through one API process is read through the other.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed partial class ReadmeTests
{
    private static readonly int[] ApiPorts = [5081, 5082], WorkerPorts = [5091, 5092];

    [Fact]
    public async Task The_several_processes_example_starts_one_deployment_with_generated_secrets()
    {
        var block = BashBlockAfter("## Several API and worker processes");
        var output = new StringBuilder();
        // setsid: the block and the four servers it leaves in the background form one process group, stopped together.
        var info = new ProcessStartInfo("setsid") { WorkingDirectory = TestServices.RepositoryRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in (string[])["bash", "-c", "set -euo pipefail\n" + block + "\nwait"]) info.ArgumentList.Add(argument);
        using var shell = Process.Start(info)!;
        shell.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        shell.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        shell.BeginOutputReadLine();
        shell.BeginErrorReadLine();
        string Log() { lock (output) return output.ToString(); }
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            var deadline = DateTime.UtcNow.AddMinutes(5); // a Release build first
            foreach (var port in ApiPorts.Concat(WorkerPorts))
            {
                while (!await ReadyAsync(http, port))
                {
                    shell.HasExited.Should().BeFalse($"the block must keep its servers running: {Log()}");
                    DateTime.UtcNow.Should().BeBefore(deadline, $"process on {port} not ready: {Log()}");
                    await Task.Delay(500);
                }
            }

            var adminKey = AdminKeyLine().Match(Log()).Groups[1].Value;
            adminKey.Should().HaveLength(48, "the block prints the admin key it generated");
            using var create = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{ApiPorts[0]}/api/admin/sales")
            {
                Content = JsonContent.Create(new
                {
                    name = "README phone", productId = "sku-readme", price = 1.00m, stock = 5, perUserLimit = 1,
                    startsAt = DateTimeOffset.UtcNow.AddMinutes(1), endsAt = DateTimeOffset.UtcNow.AddHours(1),
                }),
            };
            create.Headers.Add("X-Admin-Key", adminKey);
            using var created = await http.SendAsync(create);
            created.StatusCode.Should().Be(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            var saleId = (await created.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!["saleId"]!.GetValue<string>();
            using var read = await http.GetAsync($"http://127.0.0.1:{ApiPorts[1]}/api/sales/{saleId}");
            read.StatusCode.Should().Be(HttpStatusCode.OK, "the other API process serves the same deployment");
        }
        finally
        {
            if (!shell.HasExited) Process.Start("kill", ["-TERM", "--", $"-{shell.Id}"])!.WaitForExit();
            await shell.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        }
    }

    private static async Task<bool> ReadyAsync(HttpClient http, int port)
    {
        try
        {
            using var response = await http.GetAsync($"http://127.0.0.1:{port}/health/ready");
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    /// <summary>The first ```bash block after <paramref name="heading"/> in the README.</summary>
    private static string BashBlockAfter(string heading)
    {
        var readme = File.ReadAllText(Path.Combine(TestServices.RepositoryRoot, "README.md"));
        var at = readme.IndexOf(heading, StringComparison.Ordinal);
        at.Should().BeGreaterThan(0, $"the README has a section '{heading}'");
        var start = readme.IndexOf("```bash\n", at, StringComparison.Ordinal) + "```bash\n".Length;
        return readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];
    }

    [GeneratedRegex(@"X-Admin-Key: ([0-9a-f]+)")]
    private static partial Regex AdminKeyLine();
}
