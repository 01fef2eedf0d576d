using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// The hostile-input suite (<see cref="HostileInputs"/>) against live servers, Kestrel's own limits included, and a
/// flood of unknown ids that must leave the server's memory flat. The servers run the workstation GC with a small
/// gen-0 budget, so that resident memory follows what the server keeps rather than how much garbage it may hold.
/// </summary>
internal static class HostileFlood
{
    public const int Rounds = 10, PerRound = 25_000;

    /// <summary>How far resident memory may rise past the first round. Measured on both modes: a catalog that kept every
    /// unknown id rose 35-36 MiB over the ten rounds (and kept rising); the bounded one stayed within about 10 MiB of its first round.</summary>
    public const double AllowedGrowthMiB = 24;

    /// <summary>The requests the server logged as failed (its error handler's "METHOD /path failed"); the workers' own
    /// errors about other tests' data in the shared database are not the hostile requests' doing.</summary>
    public static IEnumerable<string> FailedRequests(string log) =>
        ServerLog.Entries(log).Where(e => e.IsError && System.Text.RegularExpressions.Regex.IsMatch(e.Message, @"^(GET|POST|PUT|DELETE) /\S* failed")).Select(e => e.Message);

    public static readonly Dictionary<string, string> GcSettings = new() { ["DOTNET_gcServer"] = "0", ["DOTNET_GCgen0size"] = "200000" };

    public static async Task AssertFlatAsync(FlashSaleClient client, ServerProcess server)
    {
        var resident = await HostileInputs.FloodUnknownIdsAsync(client, server.ResidentMiB, Rounds, PerRound);
        (resident.Skip(1).Max() - resident[0]).Should().BeLessThan(AllowedGrowthMiB,
            $"{Rounds * PerRound:N0} requests for unknown ids must not grow what the server keeps (MiB after each round: {string.Join(", ", resident.Select(r => r.ToString("F1")))})");
    }
}

/// <summary>Against a live distributed server (Redis, RabbitMQ, PostgreSQL).</summary>
[Collection(ServerCollection.Name)]
public sealed class DistributedHostileInputTests() : ServerProcessTest(new ServerProcess("api,worker", HostileFlood.GcSettings))
{
    [Fact]
    public async Task Every_hostile_input_is_a_4xx_problem_and_changes_nothing()
    {
        await HostileInputs.RunAsync(Client);
        HostileFlood.FailedRequests(Server.Log).Should().BeEmpty("no hostile input makes the server log an error");
    }

    [Fact]
    public Task A_flood_of_unknown_ids_leaves_memory_flat() => HostileFlood.AssertFlatAsync(Client, Server);
}

/// <summary>Against a live embedded server (in-process gate, SQLite).</summary>
[Collection(ServerCollection.Name)]
public sealed class EmbeddedHostileInputTests() : EmbeddedServerTest(HostileFlood.GcSettings)
{
    [Fact]
    public async Task Every_hostile_input_is_a_4xx_problem_and_changes_nothing()
    {
        await HostileInputs.RunAsync(Client);
        HostileFlood.FailedRequests(Server.Log).Should().BeEmpty("no hostile input makes the server log an error");
    }

    [Fact]
    public Task A_flood_of_unknown_ids_leaves_memory_flat() => HostileFlood.AssertFlatAsync(Client, Server);
}
