using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// Reconciliation in embedded mode from the command line, which needs the database file to itself: the server
/// process stops, the command runs, the server starts again. (The admin API's reconciliation in embedded mode
/// is tested in process, in FlashSale.Api.Tests.)
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class EmbeddedReconciliationTests() : EmbeddedServerTest(ReconciliationReports.ShortInFlightGrace)
{
    [Fact]
    public async Task An_order_missing_from_the_journal_is_reported_and_the_command_line_reads_the_stopped_store()
    {
        var (saleId, sale, _) = await Client.DrainedSaleAsync(stock: 10, perUserLimit: 2, ("alice", 1));
        await Server.DisposeAsync(); // the command needs the file to itself

        var env = Reconciliation.EmbeddedEnvironment(Database.Path);
        var clean = await Reconciliation.RunCommandAsync(env, saleId);
        clean.ExitCode.Should().Be(0, clean.Errors);
        clean.Output.Should().Contain("\"status\":\"clean\"");

        var alice = (await Database.OrdersAsync(sale)).Single().OrderId;
        await Database.ExecuteAsync("DELETE FROM intents WHERE order_id = @o", ("@o", alice));
        var found = await Reconciliation.RunCommandAsync(env, saleId, "--repair");
        found.ExitCode.Should().Be(1, found.Errors);
        found.Output.Should().Contain("persisted_not_accepted").And.Contain(alice.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await Server.StartAsync();
        var report = await Client.ReconcileAsync(saleId);
        report.OrderIds("persisted_not_accepted").Should().Equal(alice.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
