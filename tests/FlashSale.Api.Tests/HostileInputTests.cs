using FlashSale.Api.Tests.Infrastructure;

namespace FlashSale.Api.Tests;

/// <summary>The hostile-input suite (<see cref="HostileInputs"/>) in process, on one embedded server; Server.Tests runs it on live processes in both modes.</summary>
public sealed class HostileInputTests : ApiTest
{
    [Fact]
    public Task Every_hostile_input_is_a_4xx_problem_and_changes_nothing() => HostileInputs.RunAsync(Client);
}
