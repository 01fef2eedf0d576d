using FlashSale.Core.Orders;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Tests;

public sealed class PurchaseAdmissionTests
{
    [Fact]
    public async Task Concurrent_purchases_are_decided_in_batches_with_one_answer_each()
    {
        var gate = new CountingGate(stock: 1_000_000);
        await using var admission = NewAdmission(gate, new AdmissionOptions { MaxBatchSize = 64, BatchersPerSale = 2 });

        var decisions = await Task.WhenAll(Enumerable.Range(0, 5_000).Select(i => Task.Run(async () =>
        {
            admission.TryEnqueue(1, new PurchaseRequest($"u{i}", $"r{i}", 1, i + 1), out var decision).Should().BeTrue();
            return await decision;
        })));

        decisions.Should().OnlyContain(d => d.Outcome == GateOutcome.Accepted);
        decisions.Select(d => d.OrderId).Should().OnlyHaveUniqueItems().And.HaveCount(5_000);
        gate.Calls.Should().BeLessThan(5_000, "requests waiting together share a gate call");
        gate.LargestBatch.Should().BeGreaterThan(1).And.BeLessThanOrEqualTo(64);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_and_queued_purchases_still_complete()
    {
        var gate = new CountingGate(stock: 100) { Hold = new TaskCompletionSource() };
        await using var admission = NewAdmission(gate, new AdmissionOptions { QueueCapacity = 3, MaxBatchSize = 1, BatchersPerSale = 1 });

        admission.TryEnqueue(1, new PurchaseRequest("a", "1", 1, 1), out var first).Should().BeTrue();
        await gate.Entered.Task; // the batcher holds "a" inside the gate; the queue is empty again
        var queued = new List<ValueTask<GateDecision>>();
        for (var i = 0; i < 3; i++)
        {
            admission.TryEnqueue(1, new PurchaseRequest($"q{i}", "1", 1, 10 + i), out var d).Should().BeTrue();
            queued.Add(d);
        }
        admission.TryEnqueue(1, new PurchaseRequest("late", "1", 1, 99), out _).Should().BeFalse();

        gate.Hold.SetResult();
        (await first).Outcome.Should().Be(GateOutcome.Accepted);
        foreach (var d in queued) (await d).Outcome.Should().Be(GateOutcome.Accepted);
    }

    [Fact]
    public async Task A_failing_gate_answers_unavailable_and_never_accepted()
    {
        var gate = new CountingGate(stock: 10) { Failure = new GateUnavailableException("down") };
        await using var admission = NewAdmission(gate, new AdmissionOptions());

        (await DecideAsync(admission, new PurchaseRequest("a", "1", 1, 1))).Outcome.Should().Be(GateOutcome.Unavailable);
    }

    [Fact]
    public async Task Once_sold_out_the_process_answers_alone_and_still_replays_accepted_requests()
    {
        var gate = new CountingGate(stock: 1);
        await using var admission = NewAdmission(gate, new AdmissionOptions { SoldOutFlagTtl = TimeSpan.FromSeconds(1) }, new ManualClock());

        admission.AnswerFromClosedFlag(1, "a", "r1").Should().BeNull();
        (await DecideAsync(admission, new PurchaseRequest("a", "r1", 1, 77))).Remaining.Should().Be(0);
        await FlagRaisedAsync(admission);

        admission.AnswerFromClosedFlag(1, "b", "x").Should().Be(new GateDecision(GateOutcome.SoldOut, 0, 0), "the last unit went: losers need not ask the gate");
        admission.AnswerFromClosedFlag(1, "a", "r1").Should().Be(new GateDecision(GateOutcome.Replayed, 77, 0), "the winner's retry still gets its order");
        admission.AnswerFromClosedFlag(1, "b", "x", GateOutcome.Ended).Should().Be(new GateDecision(GateOutcome.Ended, 0, 0), "after the end losers hear 'ended'");
        gate.Calls.Should().Be(1);
        admission.ClearSoldOut(1);
        admission.AnswerFromClosedFlag(1, "b", "x").Should().BeNull();
    }

    [Fact]
    public async Task A_gate_error_of_any_kind_answers_unavailable_and_the_lane_lives_on()
    {
        var gate = new CountingGate(stock: 10) { FailFirst = new InvalidOperationException("OOM command not allowed when used memory > 'maxmemory'") };
        await using var admission = NewAdmission(gate, new AdmissionOptions { BatchersPerSale = 1 });

        (await DecideAsync(admission, new PurchaseRequest("a", "1", 1, 1))).Outcome.Should().Be(GateOutcome.Unavailable, "an error the batcher did not expect still fails closed");

        admission.TryEnqueue(1, new PurchaseRequest("b", "1", 1, 2), out var second).Should().BeTrue();
        var answer = await second.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        answer.Outcome.Should().Be(GateOutcome.Accepted, "the lane survived the error and decides the next batch");
    }

    [Fact]
    public async Task An_abandoned_gate_call_cannot_answer_a_later_batch()
    {
        var gate = new StallingGate();
        await using var admission = NewAdmission(gate, new AdmissionOptions { BatchersPerSale = 1, GateTimeout = TimeSpan.FromMilliseconds(300) });

        (await DecideAsync(admission, new PurchaseRequest("a", "1", 1, 1))).Outcome.Should().Be(GateOutcome.Unavailable, "the gate did not answer within GateTimeout");

        admission.TryEnqueue(1, new PurchaseRequest("b", "1", 1, 2), out var second).Should().BeTrue();
        await gate.SecondCallWrote.Task.WaitAsync(TimeSpan.FromSeconds(10));
        gate.ReleaseFirstCall.SetResult(); // the abandoned call now writes its late answer into the buffers it was given
        await gate.FirstCallWrote.Task.WaitAsync(TimeSpan.FromSeconds(10));
        gate.ReleaseSecondCall.SetResult();

        (await second).Should().Be(new GateDecision(GateOutcome.SoldOut, 0, 0), "the second batch's own answer, not the abandoned call's");
    }

    [Fact]
    public async Task A_loser_asking_for_more_than_is_left_does_not_close_the_sale()
    {
        var gate = new CountingGate(stock: 1);
        await using var admission = NewAdmission(gate, new AdmissionOptions(), new ManualClock());

        (await DecideAsync(admission, new PurchaseRequest("a", "1", 2, 1))).Should().Be(new GateDecision(GateOutcome.SoldOut, 0, 1), "one unit is left, two were asked for");
        await Task.Delay(200); // time for a flag to rise, were it going to

        admission.AnswerFromClosedFlag(1, "b", "1").Should().BeNull("one unit is still for sale");
        (await DecideAsync(admission, new PurchaseRequest("b", "1", 1, 2))).Outcome.Should().Be(GateOutcome.Accepted);
    }

    [Fact]
    public async Task A_sold_out_sale_copies_its_winners_again_only_when_they_changed()
    {
        var gate = new CountingGate(stock: 1);
        var clock = new ManualClock();
        await using var admission = NewAdmission(gate, new AdmissionOptions { SoldOutFlagTtl = TimeSpan.FromSeconds(1) }, clock);
        await DecideAsync(admission, new PurchaseRequest("a", "1", 1, 1));
        await FlagRaisedAsync(admission);

        for (var round = 0; round < 3; round++)
        {
            clock.Advance(TimeSpan.FromSeconds(2)); // the flag's time is up: one batch asks the gate again
            admission.AnswerFromClosedFlag(1, "b", "1").Should().BeNull();
            (await DecideAsync(admission, new PurchaseRequest("b", $"{round}", 1, 10 + round))).Outcome.Should().Be(GateOutcome.SoldOut);
            await FlagRaisedAsync(admission);
        }

        gate.WinnerCopies.Should().Be(1, "nobody won since the first copy: a counter read per flag, not a copy of every winner");
    }

    [Fact]
    public async Task A_lane_nobody_used_for_a_while_is_dropped_and_made_again_on_demand()
    {
        var clock = new ManualClock();
        await using var admission = NewAdmission(new CountingGate(stock: 10), new AdmissionOptions { LaneIdleTimeout = TimeSpan.FromMinutes(1) }, clock);
        await DecideAsync(admission, new PurchaseRequest("a", "1", 1, 1));

        clock.Advance(TimeSpan.FromSeconds(30));
        admission.EvictIdleLanes();
        admission.LaneCount.Should().Be(1, "used half a minute ago");
        clock.Advance(TimeSpan.FromMinutes(1));
        admission.EvictIdleLanes();
        admission.LaneCount.Should().Be(0, "a sale nobody asks for leaves no queue, batchers or copy of its winners behind");

        (await DecideAsync(admission, new PurchaseRequest("b", "1", 1, 2))).Outcome.Should().Be(GateOutcome.Accepted);
    }

    private static async Task FlagRaisedAsync(PurchaseAdmission admission)
    {
        for (var i = 0; i < 500 && admission.AnswerFromClosedFlag(1, "nobody", "x") is null; i++) await Task.Delay(10);
        admission.AnswerFromClosedFlag(1, "nobody", "x").Should().NotBeNull("the closed flag went up");
    }

    private static PurchaseAdmission NewAdmission(IStockGate gate, AdmissionOptions options, TimeProvider? clock = null) =>
        new(gate, Options.Create(options), clock ?? TimeProvider.System, NullLogger<PurchaseAdmission>.Instance);

    /// <summary>Queues <paramref name="request"/> for sale 1 and waits for its answer.</summary>
    private static async Task<GateDecision> DecideAsync(PurchaseAdmission admission, PurchaseRequest request)
    {
        admission.TryEnqueue(1, request, out var decision).Should().BeTrue();
        return await decision.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>A clock that moves only when told, so a flag set now is still set when read.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _now = 1_000;
        public override long GetTimestamp() => Volatile.Read(ref _now);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _now, (long)(by.TotalSeconds * TimestampFrequency));
    }
}

/// <summary>
/// A gate whose first call ignores cancellation and answers late (into the buffers it was given); its second
/// call answers "sold out" at once and then waits, so a late write of the first would land on its answer.
/// </summary>
internal sealed class StallingGate : IStockGate
{
    private int _calls;
    public TaskCompletionSource ReleaseFirstCall { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource FirstCallWrote { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource SecondCallWrote { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public TaskCompletionSource ReleaseSecondCall { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _calls) == 1)
        {
            await ReleaseFirstCall.Task;
            decisions.Span.Fill(new GateDecision(GateOutcome.Accepted, 999, 5));
            FirstCallWrote.SetResult();
            return;
        }
        decisions.Span.Fill(new GateDecision(GateOutcome.SoldOut, 0, 0));
        SecondCallWrote.SetResult();
        await ReleaseSecondCall.Task;
    }

    public Task<GateLoad> LoadSaleAsync(long saleId, Func<CancellationToken, Task<SaleStockSnapshot?>> readStore, GateLoadMode mode, CancellationToken cancellationToken) =>
        Task.FromResult(GateLoad.Held);
    public Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken) => Task.FromResult<GateSaleCounters?>(null);
    public Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken) => Task.FromResult<OrderIntent?>(null);
    public Task<bool> ReturnAsync(OrderIntent intent, CancellationToken cancellationToken) => Task.FromResult(true);
    public Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<(string, string), long>>(new Dictionary<(string, string), long>());
}

/// <summary>A trivial in-memory gate: accepts while stock lasts, counts calls and batch sizes.</summary>
internal sealed class CountingGate(long stock) : IStockGate
{
    private readonly Lock _sync = new();
    private long _stock = stock;
    private long _accepted;
    private int _failures;
    public int Calls;
    public int LargestBatch;
    public int WinnerCopies;
    public TaskCompletionSource? Hold { get; init; }
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public Exception? Failure { get; init; }
    /// <summary>Thrown by the first call only.</summary>
    public Exception? FailFirst { get; init; }

    public async Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        InterlockedMax(ref LargestBatch, requests.Length);
        Entered.TrySetResult();
        if (Hold is not null) await Hold.Task;
        if (Failure is not null) throw Failure;
        if (FailFirst is not null && Interlocked.Increment(ref _failures) == 1) throw FailFirst;
        lock (_sync)
        {
            for (var i = 0; i < requests.Length; i++)
            {
                var r = requests.Span[i];
                if (_stock >= r.Quantity)
                {
                    _stock -= r.Quantity;
                    _accepted += r.Quantity;
                    _accepted_requests[(r.UserId, r.RequestId)] = r.CandidateOrderId;
                    decisions.Span[i] = new GateDecision(GateOutcome.Accepted, r.CandidateOrderId, 0);
                }
                else
                {
                    decisions.Span[i] = new GateDecision(GateOutcome.SoldOut, 0, 0);
                }
            }
            // Like decide.lua: every decision of a batch reports the stock left after the whole batch.
            for (var i = 0; i < requests.Length; i++) decisions.Span[i] = decisions.Span[i] with { Remaining = _stock };
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    public Task<GateLoad> LoadSaleAsync(long saleId, Func<CancellationToken, Task<SaleStockSnapshot?>> readStore, GateLoadMode mode, CancellationToken cancellationToken) =>
        Task.FromResult(GateLoad.Held);

    public Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken)
    {
        lock (_sync) return Task.FromResult<GateSaleCounters?>(new GateSaleCounters(_stock, _accepted, 0));
    }

    public Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken) => Task.FromResult<OrderIntent?>(null);
    public Task<bool> ReturnAsync(OrderIntent intent, CancellationToken cancellationToken) => Task.FromResult(true);

    private readonly Dictionary<(string, string), long> _accepted_requests = new();

    public Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref WinnerCopies);
        lock (_sync) return Task.FromResult<IReadOnlyDictionary<(string, string), long>>(new Dictionary<(string, string), long>(_accepted_requests));
    }
}
