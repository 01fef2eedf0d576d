using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>What embedded mode does when its database file cannot be used: say so clearly, lose nothing.</summary>
[Collection(ServerCollection.Name)]
public sealed class EmbeddedStorageFailureTests : EmbeddedDatabaseTest
{
    [Fact]
    public async Task A_corrupt_database_file_stops_the_start_with_a_clear_message()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Database.Path)!);
        await File.WriteAllBytesAsync(Database.Path, Enumerable.Repeat((byte)0x5A, 64 * 1024).ToArray());
        await using var server = ServerProcess.Embedded(Database.Path);

        var exitCode = await server.StartExpectingExitAsync(TimeSpan.FromSeconds(30));

        exitCode.Should().NotBe(0);
        server.Log.Should().Contain("FlashSale cannot start").And.Contain("not a readable FlashSale database");
    }

    [Fact]
    public async Task An_unusable_database_location_stops_the_start_with_a_clear_message()
    {
        var aFile = Path.Combine(Path.GetDirectoryName(Database.Path)!, "a-file");
        Directory.CreateDirectory(Path.GetDirectoryName(aFile)!);
        await File.WriteAllTextAsync(aFile, "not a folder");
        await using var server = ServerProcess.Embedded(Path.Combine(aFile, "flashsale.db"));

        var exitCode = await server.StartExpectingExitAsync(TimeSpan.FromSeconds(30));

        exitCode.Should().NotBe(0);
        server.Log.Should().Contain("FlashSale cannot start").And.Contain("Cannot create the folder");
    }

    [Fact]
    public async Task A_second_instance_on_the_same_file_is_refused_and_the_first_keeps_selling()
    {
        await using var first = ServerProcess.Embedded(Database.Path);
        await first.StartAsync();
        await using var second = ServerProcess.Embedded(Database.Path);

        var exitCode = await second.StartExpectingExitAsync(TimeSpan.FromSeconds(30));

        exitCode.Should().NotBe(0);
        second.Log.Should().Contain("Another FlashSale process is using");
        var client = FlashSaleClient.For(first);
        var saleId = await client.CreateSaleAsync(stock: 5, perUserLimit: 1);
        (await client.PurchaseAsync(saleId, await client.TokenAsync("still-here"), 1, "r")).Status.Should().Be(202);
    }

    [Fact]
    public async Task A_full_disk_answers_503_and_loses_no_accepted_purchase()
    {
        // A 1 MB cap on the file stands in for a full disk: SQLite fails the write exactly the same way.
        var full = new Dictionary<string, string> { ["FlashSale__Embedded__MaxDatabaseSizeMb"] = "1" };
        await using var server = ServerProcess.Embedded(Database.Path, full);
        await server.StartAsync();
        var client = FlashSaleClient.For(server, maxConnections: 32);
        var saleId = await client.CreateSaleAsync(stock: 100_000, perUserLimit: 1);
        var tokens = await Crowd.SignInAsync(client, 20_000, "disk-full-buyer-with-a-long-user-id-to-fill-pages-");

        var answers = (await Crowd.RaceAsync([client], saleId, tokens, 20_000, _ => 1, concurrency: 32)).ToList();

        answers.Select(a => a.Answer.Status).Distinct().Should().BeSubsetOf([202, 503]);
        answers.Should().Contain(a => a.Answer.Status == 503 && a.Answer.Code == "unavailable", "the disk filled up");
        var accepted = answers.Where(a => a.Answer.Status == 202).ToList();
        accepted.Should().NotBeEmpty();

        // Room again (a bigger cap, as after freeing disk space): every 202 becomes its order.
        await server.DisposeAsync();
        await using var roomy = ServerProcess.Embedded(Database.Path, new Dictionary<string, string> { ["FlashSale__Embedded__MaxDatabaseSizeMb"] = "64" });
        await roomy.StartAsync();
        var stats = await FlashSaleClient.For(roomy).WaitForDrainAsync(saleId);
        var orderIds = (await Database.OrdersAsync(long.Parse(saleId))).Select(o => o.OrderId.ToString()).ToHashSet();
        accepted.Should().OnlyContain(a => orderIds.Contains(a.Answer.OrderId!), "no accepted purchase was lost");
        stats["accepted"]!.GetValue<long>().Should().Be(accepted.Count, "the refused (503) purchases sold nothing");
    }
}
