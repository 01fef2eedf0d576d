using System.Text.Json.Nodes;

namespace FlashSale.Bench.Tests;

/// <summary><c>bench serve</c> measures the server as it ships: both processes start with the same runtime settings.</summary>
public sealed class ServerRuntimeTests
{
    private static JsonObject ConfigProperties(string assembly) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, assembly + ".runtimeconfig.json")))!["runtimeOptions"]!["configProperties"]!.AsObject();

    [Fact]
    public void Bench_serve_runs_with_the_servers_runtime_settings()
    {
        var server = ConfigProperties("FlashSale.Server");
        var bench = ConfigProperties("FlashSale.Bench");

        bench.ToJsonString().Should().Be(server.ToJsonString());
        server["System.GC.Server"]!.GetValue<bool>().Should().BeTrue();
        server["System.Threading.ThreadPool.UnfairSemaphoreSpinLimit"]!.GetValue<int>().Should().Be(0, "idle pool threads block instead of spinning on cores Redis, RabbitMQ and PostgreSQL share");
    }
}
