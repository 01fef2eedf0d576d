using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>The hostile-input suite (<see cref="HostileInputs"/>) against a live distributed server (Redis, RabbitMQ, PostgreSQL): Kestrel's own limits included.</summary>
[Collection(ServerCollection.Name)]
public sealed class DistributedHostileInputTests() : ServerProcessTest(new ServerProcess("api,worker"))
{
    [Fact]
    public async Task Every_hostile_input_is_a_4xx_problem_and_changes_nothing()
    {
        await HostileInputs.RunAsync(Client);
        Server.Log.Should().NotContain("fail:", "no hostile input makes the server log an error");
    }
}

/// <summary>The hostile-input suite against a live embedded server (in-process gate, SQLite).</summary>
[Collection(ServerCollection.Name)]
public sealed class EmbeddedHostileInputTests : EmbeddedServerTest
{
    [Fact]
    public async Task Every_hostile_input_is_a_4xx_problem_and_changes_nothing()
    {
        await HostileInputs.RunAsync(Client);
        Server.Log.Should().NotContain("fail:", "no hostile input makes the server log an error");
    }
}
