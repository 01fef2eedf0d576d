using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using static FlashSale.Adapters.Tests.Purchases;

namespace FlashSale.Adapters.Tests;

/// <summary>
/// The stock gate's contract, written once and run against every gate: same inputs, same
/// decisions, same failure answers.
/// </summary>
public abstract class GateContract
{
    /// <summary>A gate holding <paramref name="sale"/> with its full stock.</summary>
    protected abstract Task<IStockGate> GateWithAsync(Sale sale);

    /// <summary>A gate that has never heard of any sale.</summary>
    protected abstract Task<IStockGate> EmptyGateAsync();

    [Fact]
    public async Task Sells_the_stock_and_then_answers_sold_out()
    {
        var sale = TestEnvironment.NewSale(stock: 3, perUserLimit: 5);
        var gate = await GateWithAsync(sale);

        var d = await DecideAsync(gate, sale.Id, Request("a", 2), Request("b", 2), Request("c", 1), Request("d", 1));

        d.Select(x => x.Outcome).Should().Equal(GateOutcome.Accepted, GateOutcome.SoldOut, GateOutcome.Accepted, GateOutcome.SoldOut);
        d[0].Remaining.Should().Be(0, "the remaining stock is what is left after the whole batch");
        (await gate.GetCountersAsync(sale.Id, default)).Should().Be(new GateSaleCounters(0, 3, 0));
    }

    [Fact]
    public async Task Holds_the_per_user_limit_across_requests_and_quantities()
    {
        var sale = TestEnvironment.NewSale(stock: 100, perUserLimit: 3);
        var gate = await GateWithAsync(sale);

        var d = await DecideAsync(gate, sale.Id, Request("a", 2), Request("a", 2), Request("a", 1), Request("a", 1), Request("b", 3));

        d.Select(x => x.Outcome).Should().Equal(GateOutcome.Accepted, GateOutcome.LimitExceeded, GateOutcome.Accepted, GateOutcome.LimitExceeded, GateOutcome.Accepted);
    }

    [Fact]
    public async Task A_refused_purchase_changes_nothing()
    {
        var sale = TestEnvironment.NewSale(stock: 4, perUserLimit: 2);
        var gate = await GateWithAsync(sale);
        (await DecideAsync(gate, sale.Id, Request("a", 2)))[0].Outcome.Should().Be(GateOutcome.Accepted);

        // "a" is at the limit: these are refused and must not touch the stock...
        var refused = await DecideAsync(gate, sale.Id, Request("a", 1), Request("a", 2), Request("a", 1));
        refused.Should().OnlyContain(x => x.Outcome == GateOutcome.LimitExceeded);
        (await gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(2);

        // ...so the two units left still go to other users.
        var others = await DecideAsync(gate, sale.Id, Request("b", 1), Request("c", 1));
        others.Should().OnlyContain(x => x.Outcome == GateOutcome.Accepted);
    }

    [Fact]
    public async Task A_repeated_requestId_gets_the_first_order_and_deducts_once()
    {
        var sale = TestEnvironment.NewSale(stock: 10, perUserLimit: 2);
        var gate = await GateWithAsync(sale);

        var first = await DecideAsync(gate, sale.Id, Request("a", 2, "r1"));
        var again = await DecideAsync(gate, sale.Id, Request("a", 2, "r1"), Request("a", 1, "r1"), Request("b", 1, "r1"));

        first[0].Outcome.Should().Be(GateOutcome.Accepted);
        again[0].Should().Be(new GateDecision(GateOutcome.Replayed, first[0].OrderId, again[0].Remaining));
        again[1].OrderId.Should().Be(first[0].OrderId, "the earlier answer, whatever the quantity now");
        again[2].Outcome.Should().Be(GateOutcome.Accepted, "requestIds belong to their user");
        again[2].OrderId.Should().NotBe(first[0].OrderId);
        (await gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(7);
    }

    [Fact]
    public async Task Answers_outside_the_window()
    {
        var upcoming = TestEnvironment.NewSale(stock: 5, perUserLimit: 1, startsIn: TimeSpan.FromHours(1));
        var ended = TestEnvironment.NewSale(stock: 5, perUserLimit: 1, startsIn: TimeSpan.FromHours(-2), lasts: TimeSpan.FromHours(1));

        (await DecideAsync(await GateWithAsync(upcoming), upcoming.Id, Request("a", 1)))[0].Outcome.Should().Be(GateOutcome.NotStarted);
        (await DecideAsync(await GateWithAsync(ended), ended.Id, Request("a", 1)))[0].Outcome.Should().Be(GateOutcome.Ended);
    }

    [Fact]
    public async Task Refuses_quantities_outside_one_to_the_limit()
    {
        var sale = TestEnvironment.NewSale(stock: 10, perUserLimit: 2);
        var gate = await GateWithAsync(sale);

        var d = await DecideAsync(gate, sale.Id, Request("a", 0), Request("a", 3), Request("a", -1));

        d.Should().OnlyContain(x => x.Outcome == GateOutcome.Invalid);
        (await gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(10);
    }

    [Fact]
    public async Task An_unknown_sale_is_answered_as_such()
    {
        var gate = await EmptyGateAsync();
        (await DecideAsync(gate, TestEnvironment.NewId(), Request("a", 1)))[0].Outcome.Should().Be(GateOutcome.UnknownSale);
        (await gate.GetCountersAsync(TestEnvironment.NewId(), default)).Should().BeNull();
    }

    [Fact]
    public async Task Returning_a_failed_order_gives_stock_and_quota_back_once()
    {
        var sale = TestEnvironment.NewSale(stock: 2, perUserLimit: 2);
        var gate = await GateWithAsync(sale);
        var bought = (await DecideAsync(gate, sale.Id, Request("a", 2, "r1")))[0];
        var intent = await gate.FindIntentAsync(bought.OrderId, default);
        intent.Should().NotBeNull();
        intent!.UserId.Should().Be("a");
        intent.Quantity.Should().Be(2);
        intent.SaleId.Should().Be(sale.Id);

        (await gate.ReturnAsync(intent, default)).Should().BeTrue();
        (await gate.ReturnAsync(intent, default)).Should().BeFalse("only once");
        (await gate.GetCountersAsync(sale.Id, default)).Should().Be(new GateSaleCounters(2, 2, 2));
        (await DecideAsync(gate, sale.Id, Request("a", 2)))[0].Outcome.Should().Be(GateOutcome.Accepted, "the quota came back too");
        (await DecideAsync(gate, sale.Id, Request("a", 2, "r1")))[0].OrderId.Should().Be(bought.OrderId, "the failed request keeps its answer");
    }

    [Fact]
    public Task Lists_every_accepted_request_with_its_order() =>
        ListsTheAcceptedRequestsAsync([Request("a:b", 1, "r1"), Request("a", 1, ":br1")], refused: [Request("c", 3, "refused")],
            "user ids and requestIds may hold any character, and refused requests are not listed");

    [Fact]
    public Task Lists_the_accepted_requests_of_users_with_non_ascii_ids() =>
        ListsTheAcceptedRequestsAsync([Request("张三", 1, "r-1"), Request("Zoë", 2, "r.2"), Request("😀x", 1, "r:3")], refused: [],
            "a user id's length in the gate is counted in the same unit it is read back in");

    /// <summary>Decides <paramref name="accepted"/> then <paramref name="refused"/> on a new sale (stock 5, limit 2): the gate lists the first with their orders.</summary>
    private async Task ListsTheAcceptedRequestsAsync(PurchaseRequest[] accepted, PurchaseRequest[] refused, string because)
    {
        var sale = TestEnvironment.NewSale(stock: 5, perUserLimit: 2);
        var gate = await GateWithAsync(sale);
        var d = await DecideAsync(gate, sale.Id, [.. accepted, .. refused]);

        var listed = await gate.GetAcceptedRequestsAsync(sale.Id, default);

        listed.Should().BeEquivalentTo(accepted.Select((r, i) => (Key: (r.UserId, r.RequestId), d[i].OrderId)).ToDictionary(x => x.Key, x => x.OrderId), because);
    }

    [Fact]
    public async Task Concurrent_batches_never_sell_more_than_the_stock()
    {
        var sale = TestEnvironment.NewSale(stock: 100, perUserLimit: 1);
        var gate = await GateWithAsync(sale);

        var batches = await Task.WhenAll(Enumerable.Range(0, 25).Select(b => Task.Run(() =>
            DecideAsync(gate, sale.Id, Enumerable.Range(0, 20).Select(i => Request($"u{b}-{i}", 1)).ToArray()))));

        batches.SelectMany(x => x).Count(x => x.Outcome == GateOutcome.Accepted).Should().Be(100);
        batches.SelectMany(x => x).Where(x => x.Outcome != GateOutcome.Accepted).Should().OnlyContain(x => x.Outcome == GateOutcome.SoldOut);
        (await gate.GetCountersAsync(sale.Id, default))!.Remaining.Should().Be(0);
    }
}
