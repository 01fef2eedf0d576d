using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Core.Orders;
using FlashSale.Core.Notifications;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Api.Tests;

/// <summary><c>GET /api/orders/{orderId}/events</c> in embedded mode: the current status first, then each change, then the end.</summary>
public sealed class OrderEventsTests() : ApiTest(new Dictionary<string, string>
{
    // Long enough that only the change's signal can explain an event within the test's wait.
    ["FlashSale:Notifications:StreamRecheck"] = "00:05:00",
    ["FlashSale:Notifications:StreamHeartbeat"] = "00:00:00.300",
})
{
    private async Task<(string OrderId, string Token)> PendingOrderAsync(string user)
    {
        var (token, orderId, _) = await Client.PendingOrderAsync(await Client.CreateSaleAsync(stock: 10, perUserLimit: 1), user, "events-1");
        return (orderId, token);
    }

    [Fact]
    public async Task The_stream_starts_with_the_current_status_sends_the_change_and_ends_on_a_final_status()
    {
        var (orderId, token) = await PendingOrderAsync("alice");
        await using var stream = await OrderEventStream.OpenAsync(Client.Http, orderId, token);
        stream.Response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        stream.Response.Headers.CacheControl!.NoCache.Should().BeTrue();
        stream.Response.Headers.GetValues("X-Accel-Buffering").Should().Equal("no");

        var first = await stream.NextAsync();
        (first!.Event, first.Id, first.Status, first.Data["orderId"]!.GetValue<string>()).Should().Be(("status", "1", "pending_payment", orderId));
        var get = await Client.GetAsync($"api/orders/{orderId}", token);
        first.Data.ToJsonString().Should().Be(get.Body!.ToJsonString(), "an event's data is the order as GET answers it");

        await Task.Delay(TimeSpan.FromSeconds(1)); // a silent second: three heartbeats
        var store = App.Services.GetRequiredService<IFlashSaleStore>();
        (await store.CancelAsync(long.Parse(orderId), CancelReason.User, DateTimeOffset.UtcNow, default)).Should().Be(CancelOutcome.Cancelled);
        await App.Services.GetRequiredService<IOrderNotifier>().PublishAsync(new OrderChanged(long.Parse(orderId), 0, "alice", "cancelled"), default);

        var second = await stream.NextAsync(TimeSpan.FromSeconds(10));
        (second!.Id, second.Status).Should().Be(("2", "cancelled"));
        (await stream.NextAsync(TimeSpan.FromSeconds(10))).Should().BeNull("the stream ends after a final status");
        stream.Comments.Should().BeGreaterThan(0, "a silent stream sends a keep-alive comment every heartbeat");
    }

    [Fact]
    public async Task Someone_elses_order_and_an_unknown_one_are_404_like_get()
    {
        var (orderId, _) = await PendingOrderAsync("alice");
        var bob = await Client.TokenAsync("bob");

        foreach (var id in new[] { orderId, "123456789", "nope" })
        {
            await using var stream = await OrderEventStream.OpenAsync(Client.Http, id, bob);
            ((int)stream.Response.StatusCode).Should().Be(404);
            stream.Response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            (await stream.Response.Content.ReadAsStringAsync()).Should().Contain("\"code\":\"order_not_found\"");
        }
    }
}

/// <summary>A lost signal only delays the stream: it re-reads its order every StreamRecheck.</summary>
public sealed class OrderEventsRecheckTests() : ApiTest(new Dictionary<string, string> { ["FlashSale:Notifications:StreamRecheck"] = "00:00:00.200" })
{
    [Fact]
    public async Task A_change_without_a_signal_arrives_at_the_next_re_read()
    {
        var saleId = await Client.CreateSaleAsync(stock: 10, perUserLimit: 1);
        var token = await Client.TokenAsync("carol");
        var orderId = await Client.BuyAsync(saleId, "carol", 1);
        await Eventually.UntilAsync(async () => (await Client.GetAsync($"api/orders/{orderId}", token)).Body?["status"]?.GetValue<string>() == "pending_payment");
        await using var stream = await OrderEventStream.OpenAsync(Client.Http, orderId, token);
        (await stream.NextAsync())!.Status.Should().Be("pending_payment");

        await App.Services.GetRequiredService<IFlashSaleStore>().CancelAsync(long.Parse(orderId), CancelReason.User, DateTimeOffset.UtcNow, default);

        (await stream.NextAsync(TimeSpan.FromSeconds(10)))!.Status.Should().Be("cancelled");
    }
}
