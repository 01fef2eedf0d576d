using System.Text;
using System.Text.Json.Nodes;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// The relay publishes a ledger batch as one message: a refused intent among written ones, a worker killed while such a
/// message is written but not acknowledged, and messages published by hand (one intent, or an array with an unreadable
/// element) keep every guarantee of one message per intent.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class BatchMessageTests() : ServerProcessTest(new ServerProcess("api"))
{
    private const int Stock = 20;
    private static readonly string[] Good = ["good-1", "good-2", "good-3", "good-4", "good-5"];
    private const string Victim = "victim";

    private static Dictionary<string, string> WorkerSettings(string retryBaseDelay) => new()
    {
        ["FlashSale__Pipeline__MaxDeliveryAttempts"] = "3",
        ["FlashSale__Pipeline__RetryBaseDelay"] = retryBaseDelay,
    };

    /// <summary>
    /// A sale whose buyers bought one unit each while no worker ran, so their intents wait in the ledger and the first
    /// relay pass publishes them as one message; the database already counts the victim at its limit, so its order alone is
    /// refused. Returns the sale and the order ids by user.
    /// </summary>
    private async Task<(string SaleId, long Sale, Dictionary<string, string> Orders)> BatchWithVictimAsync()
    {
        var saleId = await Client.CreateSaleAsync(stock: Stock, perUserLimit: 2);
        var sale = long.Parse(saleId);
        var orders = new Dictionary<string, string>();
        foreach (var user in Good.Append(Victim)) orders[user] = await Client.BuyAsync(saleId, user, 1);
        await Database.ExecuteAsync("INSERT INTO user_purchases (sale_id, user_id, purchased, purchase_limit) VALUES (@s, @u, 2, 2)", ("s", sale), ("u", Victim));
        return (saleId, sale, orders);
    }

    [Fact]
    public async Task A_refused_intent_in_a_batch_message_is_dead_lettered_alone_and_the_others_are_written_once()
    {
        var (saleId, sale, orders) = await BatchWithVictimAsync();
        var deadBefore = await Broker.DeadLetterCountAsync();

        await using var worker = new ServerProcess("worker", WorkerSettings("00:00:00.050"));
        await worker.StartAsync();
        await Client.WaitForOrderAsync(orders[Victim], await Client.TokenAsync(Victim), "failed", TimeSpan.FromSeconds(60));

        var rows = await Database.OrdersAsync(sale);
        rows.Should().HaveCount(6);
        rows.Where(o => o.UserId != Victim).Should().OnlyContain(o => o.Status == "pending_payment");
        (await Database.ScalarAsync<int>("SELECT available_stock FROM sales WHERE id = @s", ("s", sale))).Should().Be(Stock - Good.Length, "each written order deducted once, the failed one nothing");
        (await Database.ScalarAsync<long>("SELECT count(*) FROM user_purchases WHERE sale_id = @s AND user_id <> @u AND purchased = 1", ("s", sale), ("u", Victim)))
            .Should().Be(Good.Length);
        var stats = await Client.StatsAsync(saleId);
        stats["returned"]!.GetValue<long>().Should().Be(1);
        stats["remainingInGate"]!.GetValue<long>().Should().Be(Stock - Good.Length, "the victim's unit went back to the gate");
        (await EventuallyAsync(async () => await Broker.DeadLetterCountAsync() == deadBefore + 1)).Should().BeTrue("one dead letter: the victim's intent");
        var dead = (await Broker.PeekDeadLettersAsync()).Select(b => JsonNode.Parse(b)).OfType<JsonObject>()
            .Where(o => o["orderId"]?.ToString() == orders[Victim]).ToList();
        dead.Should().ContainSingle("the dead letter is the victim's intent alone, not the batch")
            .Which["userId"]!.GetValue<string>().Should().Be(Victim);
    }

    [Fact]
    public async Task A_worker_killed_while_a_batch_message_is_written_but_unacknowledged_loses_and_doubles_nothing()
    {
        var (saleId, sale, orders) = await BatchWithVictimAsync();
        var deadBefore = await Broker.DeadLetterCountAsync();

        // The victim's retry waits 10 s: meanwhile its batch message stays unacknowledged, its other intents committed.
        var worker = new ServerProcess("worker", WorkerSettings("00:00:10"));
        await using (worker)
        {
            await worker.StartAsync();
            (await EventuallyAsync(async () => (await Database.OrdersAsync(sale)).Count(o => o.Status == "pending_payment") == Good.Length)).Should().BeTrue();
            worker.Kill();
        }
        (await Database.OrdersAsync(sale)).Should().NotContain(o => o.UserId == Victim, "the victim was still waiting for its retry");

        await Database.ExecuteAsync("DELETE FROM user_purchases WHERE sale_id = @s AND user_id = @u", ("s", sale), ("u", Victim));
        await using var second = new ServerProcess("worker", WorkerSettings("00:00:00.050"));
        await second.StartAsync();
        var stats = await Client.WaitForDrainAsync(saleId);

        stats["persisted"]!.GetValue<long>().Should().Be(Good.Length + 1);
        var rows = await Database.OrdersAsync(sale);
        rows.Should().HaveCount(Good.Length + 1).And.OnlyContain(o => o.Status == "pending_payment");
        rows.Select(o => o.OrderId.ToString()).Should().BeEquivalentTo(orders.Values);
        (await Database.ScalarAsync<int>("SELECT available_stock FROM sales WHERE id = @s", ("s", sale))).Should().Be(Stock - Good.Length - 1, "the redelivered batch deducted nothing twice");
        (await Database.ScalarAsync<long>("SELECT sum(purchased) FROM user_purchases WHERE sale_id = @s", ("s", sale))).Should().Be(Good.Length + 1);
        (await Broker.DeadLetterCountAsync()).Should().Be(deadBefore);
    }

    [Fact]
    public async Task Messages_published_by_hand_one_intent_or_an_array_are_written_and_an_unreadable_element_dead_letters_its_message()
    {
        await using var worker = new ServerProcess("worker");
        await worker.StartAsync();
        var saleId = await Client.CreateSaleAsync(stock: Stock, perUserLimit: 5);
        var sale = long.Parse(saleId);
        var ids = Enumerable.Range(0, 3).Select(_ => Random.Shared.NextInt64(1L << 60, long.MaxValue)).ToArray();
        var deadBefore = await Broker.DeadLetterCountAsync();

        await Broker.PublishOrderMessageAsync(Encoding.UTF8.GetBytes(Intent(ids[0], sale, "by-hand-1")));
        await Broker.PublishOrderMessageAsync(Encoding.UTF8.GetBytes($"[{Intent(ids[1], sale, "by-hand-2")}, {{\"not\": \"an order\"}}, {Intent(ids[2], sale, "by-hand-3")}]"));

        (await EventuallyAsync(async () => (await Database.OrdersAsync(sale)).Count == 3)).Should().BeTrue("the one intent and the array's two are written");
        (await Database.OrdersAsync(sale)).Select(o => o.OrderId).Should().BeEquivalentTo(ids);
        (await Database.ScalarAsync<int>("SELECT available_stock FROM sales WHERE id = @s", ("s", sale))).Should().Be(Stock - 3);
        (await EventuallyAsync(async () => await Broker.DeadLetterCountAsync() == deadBefore + 1)).Should().BeTrue("the array went to the dead letters for its unreadable element");
        (await Broker.PeekDeadLettersAsync()).Should().Contain(b => b.Contains(ids[1].ToString(), StringComparison.Ordinal) && b.Contains("an order", StringComparison.Ordinal));
    }

    private static string Intent(long orderId, long sale, string user) =>
        $"{{\"orderId\":{orderId},\"saleId\":{sale},\"userId\":\"{user}\",\"quantity\":1,\"requestId\":\"{user}\",\"acceptedAtMs\":{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}}}";

    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 300; i++)
        {
            if (await condition()) return true;
            await Task.Delay(100);
        }
        return false;
    }
}
