using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FlashSale.Core.Sales;

namespace FlashSale.Bench.Tests;

/// <summary>
/// bench/wrk as its headers document it, against a real embedded server: make-tokens.sh signs users in, purchase.lua
/// drives purchases under wrk, and no answer may be a replay (each request a requestId of its own, across threads).
/// </summary>
public sealed class WrkScriptTests
{
    private static (int ExitCode, string Stdout, string Stderr) Shell(string command, params string[] args)
    {
        var info = new ProcessStartInfo("bash", ["-c", command, "bash", .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = BenchEnvironment.RepositoryRoot,
        };
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit(120_000).Should().BeTrue("the command finishes");
        return (process.ExitCode, stdout, stderr.Result);
    }

    [Fact]
    public void Install_script_leaves_wrk_on_the_path()
    {
        var (exit, _, stderr) = Shell("bash bench/wrk/install.sh && command -v wrk");
        exit.Should().Be(0, stderr);
    }

    [Fact]
    public async Task The_documented_wrk_run_sends_every_request_with_its_own_requestId_so_no_answer_is_a_replay()
    {
        Wrk.Ensure();
        var dataDir = Directory.CreateTempSubdirectory("flashsale-wrk-test-").FullName;
        try
        {
            var config = new Dictionary<string, string>(Scenarios.MeasureTheGate)
            {
                ["FlashSale__Mode"] = "Embedded",
                ["FlashSale__Embedded__DatabasePath"] = Path.Combine(dataDir, "wrk.db"),
                ["FlashSale__Embedded__DemoSale"] = "false",
            };
            await using var server = await BenchServerProcess.StartAsync(config);
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            var url = server.BaseAddress.ToString().TrimEnd('/');

            // make-tokens.sh as its header says: bench/wrk/make-tokens.sh http://127.0.0.1:5080 1000 > /tmp/tokens.txt
            var tokens = Path.Combine(dataDir, "tokens.txt");
            var (made, _, madeErrors) = Shell("bench/wrk/make-tokens.sh \"$1\" 200 > \"$2\"", url, tokens);
            made.Should().Be(0, madeErrors);
            var lines = File.ReadAllLines(tokens);
            lines.Length.Should().Be(200, "one token per line");
            lines.Should().OnlyHaveUniqueItems().And.OnlyContain(t => t.Split('.').Length == 3, "each line is a user's JWT");

            // A sale nobody can exhaust: every request can be accepted, so every 202 is a purchase or a replay of one.
            var startsAt = DateTimeOffset.UtcNow.AddSeconds(1);
            using var create = new HttpRequestMessage(HttpMethod.Post, "api/admin/sales")
            {
                Content = JsonContent.Create(new
                {
                    name = "wrk", productId = "wrk", price = 1, stock = NewSaleValidator.MaxStock, perUserLimit = NewSaleValidator.MaxPerUserLimit,
                    startsAt, endsAt = startsAt.AddHours(1),
                }),
            };
            create.Headers.Add("X-Admin-Key", BenchEnvironment.AdminKey);
            using var created = await http.SendAsync(create);
            created.EnsureSuccessStatusCode();
            var saleId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["saleId"]!.GetValue<string>();
            await Task.Delay(startsAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));

            // purchase.lua as its header says, briefly and with fewer connections, twice (the second run's requestIds must
            // not repeat the first's either):
            // wrk -t2 -c128 -d10s -s bench/wrk/purchase.lua http://127.0.0.1:5080 -- <saleId> /tmp/tokens.txt [summary.json] [prefix]
            var runs = new List<(WrkSummary Summary, HashSet<string> OrderIds)>();
            foreach (var run in new[] { "first", "second" })
            {
                var summaryFile = Path.Combine(dataDir, run + ".json");
                var (exit, stdout, stderr) = Shell("wrk -t2 -c16 -d2s -s bench/wrk/purchase.lua \"$1\" -- \"$2\" \"$3\" \"$4\"", url, saleId, tokens, summaryFile);
                exit.Should().Be(0, stderr);
                stdout.Should().Contain("purchase.lua:");
                var json = File.ReadAllText(summaryFile);
                var summary = WrkSummary.Parse(json, 0, stdout);
                summary.Accepted.Should().BePositive(stdout);
                summary.Statuses.Keys.Should().Equal(["202"], "every request could be accepted: " + stdout);
                summary.DistinctOrderIds.Should().Be(summary.Accepted, "a replayed requestId answers the order of its first request again: " + stdout);
                runs.Add((summary, JsonNode.Parse(json)!["orderIds"]!.AsArray().Select(id => id!.GetValue<string>()).ToHashSet()));
            }
            runs[0].OrderIds.Overlaps(runs[1].OrderIds).Should().BeFalse("the second run's requests are not replays of the first's");

            // The server's count, once the requests wrk left in flight (one per connection at most) are done: every 202 is a
            // purchase of its own (replays would leave it below the 202s).
            var answered = runs.Sum(r => r.Summary.Accepted);
            var accepted = await SettledAcceptedAsync(http, saleId);
            accepted.Should().BeInRange(answered, answered + 2 * 16, "the server counts each 202 once, plus what was in flight when wrk stopped");
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public void The_script_stops_on_a_tokens_file_without_tokens_and_on_a_bad_prefix()
    {
        // Both are found by init(), before any request is sent; wrk only checks that something listens.
        Wrk.Ensure();
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://127.0.0.1:{((System.Net.IPEndPoint)listener.LocalEndpoint).Port}";
        var tokens = Path.GetTempFileName();
        try
        {
            var (exit, stdout, stderr) = Shell("wrk -t1 -c1 -d1s -s bench/wrk/purchase.lua \"$1\" -- 1 \"$2\"", url, tokens);
            exit.Should().NotBe(0);
            (stdout + stderr).Should().Contain("no tokens in " + tokens);

            File.WriteAllText(tokens, "t\n");
            (exit, stdout, stderr) = Shell("wrk -t1 -c1 -d1s -s bench/wrk/purchase.lua \"$1\" -- 1 \"$2\" - 'bad prefix'", url, tokens);
            exit.Should().NotBe(0);
            (stdout + stderr).Should().Contain("prefix must be");
        }
        finally
        {
            File.Delete(tokens);
        }
    }

    private static async Task<long> SettledAcceptedAsync(HttpClient http, string saleId)
    {
        var (last, sameSince) = (-1L, DateTime.UtcNow);
        for (var i = 0; i < 600; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/admin/sales/{saleId}/stats");
            request.Headers.Add("X-Admin-Key", BenchEnvironment.AdminKey);
            using var response = await http.SendAsync(request);
            var stats = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var accepted = stats["accepted"]!.GetValue<long>();
            if (accepted != last) (last, sameSince) = (accepted, DateTime.UtcNow);
            else if (stats["admissionQueueDepth"]!.GetValue<int>() == 0 && accepted == stats["persisted"]!.GetValue<long>() && DateTime.UtcNow - sameSince > TimeSpan.FromSeconds(1)) return accepted;
            await Task.Delay(100);
        }
        return last;
    }
}
