using System.Text;
using System.Text.Json.Nodes;
using FlashSale.Core.Payments;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>A buyer's order stream on one API process sees a change made by a worker process: the Redis pub/sub path.</summary>
[Collection(ServerCollection.Name)]
public sealed class OrderStreamAcrossProcessesTests()
    : ServerProcessTest(new ServerProcess("api", new Dictionary<string, string> { ["FlashSale:Notifications:StreamRecheck"] = "00:10:00" }))
{
    [Fact]
    public async Task A_change_written_by_a_worker_reaches_a_stream_open_on_an_api_process()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        var token = await Client.TokenAsync("stream-buyer");
        var bought = await Client.PurchaseAsync(saleId, token, 1, "stream-1");
        bought.Status.Should().Be(202);
        await using var stream = await OrderEventStream.OpenAsync(Client.Http, bought.OrderId!, token);
        (await stream.NextAsync())!.Status.Should().Be("queued", "no worker runs yet: the order waits in the gate's ledger");

        // The worker relays and writes the order; only its signal can reach the stream in time (the re-read is ten minutes away).
        await using var worker = new ServerProcess("worker");
        await worker.StartAsync();

        var next = await stream.NextAsync(TimeSpan.FromSeconds(60));
        (next!.Status, next.Id).Should().Be(("pending_payment", "2"));
    }
}

/// <summary>
/// The merchant webhook, at least once: a receiver down at first gets every status change once it is up, and so after
/// a worker is killed (SIGKILL) and started again.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class MerchantWebhookTests : ServerProcessTest, IDisposable
{
    private const string Secret = "merchant-webhook-secret-for-tests-0123456789";
    private static readonly int ReceiverPort = TestServices.FreePort();
    private readonly WebhookReceiver _receiver = new(ReceiverPort);

    public MerchantWebhookTests() : base(new ServerProcess("api"), new ServerProcess("worker", new Dictionary<string, string>
    {
        ["FlashSale:Notifications:WebhookUrl"] = $"http://127.0.0.1:{ReceiverPort}/hook/",
        ["FlashSale:Notifications:WebhookSecret"] = Secret,
        ["FlashSale:Notifications:WebhookTimeout"] = "00:00:02",
        ["FlashSale:Notifications:WebhookRetryFirst"] = "00:00:00.200",
        ["FlashSale:Notifications:WebhookRetryMax"] = "00:00:01",
        ["FlashSale:Notifications:OutboxPollInterval"] = "00:00:00.100",
    }))
    {
    }

    private ServerProcess Worker => Servers[1];

    public void Dispose() => _receiver.Dispose();

    private static Task CancelInDatabaseAsync(string orderId) =>
        Database.ExecuteAsync("UPDATE orders SET status = 'cancelled', cancelled_at = now(), cancel_reason = 'admin' WHERE order_id = @id AND status = 'pending_payment'",
            ("id", long.Parse(orderId)));

    [Fact]
    public async Task Every_status_change_reaches_a_merchant_that_was_down_at_first_also_across_a_worker_kill()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        var orders = new List<string>();
        for (var i = 0; i < 4; i++) orders.Add(await Client.BuyAsync(saleId, $"hook-{i}", 1));
        await Eventually.UntilAsync(async () => (await Database.OrdersAsync(long.Parse(saleId))).Count == orders.Count);
        await CancelInDatabaseAsync(orders[0]);
        var expected = orders.Select(o => (o, "pending_payment")).Append((orders[0], "cancelled")).ToList();

        // The receiver is down (it answers 503): every event is tried, refused, and tried again later.
        await Eventually.UntilAsync(async () => await Database.ScalarAsync<int>(
            "SELECT coalesce(min(attempts), 0) FROM notification_outbox WHERE order_id = @id", ("id", long.Parse(orders[^1]))) >= 2);
        _receiver.Start();
        await Eventually.UntilAsync(() => Task.FromResult(expected.All(Received().ContainsKey)));

        Worker.Kill();
        await CancelInDatabaseAsync(orders[1]);
        await CancelInDatabaseAsync(orders[2]);
        await Worker.StartAsync();
        expected.Add((orders[1], "cancelled"));
        expected.Add((orders[2], "cancelled"));
        await Eventually.UntilAsync(() => Task.FromResult(expected.All(Received().ContainsKey)));

        var signature = new WebhookSignature(Encoding.UTF8.GetBytes(Secret));
        _receiver.Requests.Should().OnlyContain(r => signature.Verify(r.Body, r.Header(WebhookSignature.HeaderName)) == SignatureCheck.Valid, "every delivery is signed");
        var body = JsonNode.Parse(Received()[(orders[0], "cancelled")])!;
        (body["saleId"]!.GetValue<string>(), body["userId"]!.GetValue<string>()).Should().Be((saleId, "hook-0"));
    }

    /// <summary>Each (order, status) the merchant got, with the body it came in.</summary>
    private Dictionary<(string OrderId, string Status), string> Received()
    {
        var received = new Dictionary<(string, string), string>();
        foreach (var request in _receiver.Requests)
        {
            var json = JsonNode.Parse(request.Body)!;
            received[(json["orderId"]!.GetValue<string>(), json["status"]!.GetValue<string>())] = Encoding.UTF8.GetString(request.Body);
        }
        return received;
    }
}
