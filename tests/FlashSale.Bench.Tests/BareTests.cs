using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FlashSale.Testing;

namespace FlashSale.Bench.Tests;

/// <summary>The bare ceiling's process: the purchase's body in, a 202 shaped like the real one out, nothing else.</summary>
public sealed class BareTests
{
    [Fact]
    public async Task The_bare_process_answers_each_purchase_202_with_an_order_number_of_its_own_and_refuses_a_body_without_requestId()
    {
        await using var bare = ServerProcess.Of(Scenarios.BareDll, [], new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "Warning" });
        await bare.StartAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = bare.BaseAddress };

        var orderIds = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var answer = await http.PostAsJsonAsync("api/sales/7/purchase", new { quantity = 1, requestId = "same" });
            answer.StatusCode.Should().Be(HttpStatusCode.Accepted);
            var body = JsonNode.Parse(await answer.Content.ReadAsStringAsync())!;
            body["status"]!.GetValue<string>().Should().Be("queued");
            orderIds.Add(body["orderId"]!.GetValue<string>());
        }
        orderIds.Should().OnlyHaveUniqueItems("the bare ceiling does no work: not even a replay check");

        using var refused = await http.PostAsJsonAsync("api/sales/7/purchase", new { quantity = 1 });
        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public void The_bare_process_runs_with_the_servers_runtime_settings()
    {
        // The ceiling differs from the server by the work the server does, not by how the runtime is set up.
        static string ConfigProperties(string assembly) =>
            JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, assembly + ".runtimeconfig.json")))!["runtimeOptions"]!["configProperties"]!.ToJsonString();

        ConfigProperties("FlashSale.Bench.Bare").Should().Be(ConfigProperties("FlashSale.Server"));
    }
}
