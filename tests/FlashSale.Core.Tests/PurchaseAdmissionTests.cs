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

        admission.TryEnqueue(1, new PurchaseRequest("a", "1", 1, 1), out var decision).Should().BeTrue();
        (await decision).Outcome.Should().Be(GateOutcome.Unavailable);
    }

    [Fact]
    public async Task Once_sold_out_the_process_answers_alone_and_still_replays_accepted_requests()
    {
        var gate = new CountingGate(stock: 1);
        await using var admission = new PurchaseAdmission(gate, Options.Create(new AdmissionOptions { SoldOutFlagTtl = TimeSpan.FromSeconds(1) }),
            new SteppingClock(), NullLogger<PurchaseAdmission>.Instance);

        admission.AnswerFromSoldOutFlag(1, "a", "r1").Should().BeNull();
        admission.TryEnqueue(1, new PurchaseRequest("a", "r1", 1, 77), out var last).Should().BeTrue();
        (await last).Remaining.Should().Be(0);
        for (var i = 0; i < 200 && admission.AnswerFromSoldOutFlag(1, "b", "x") is null; i++) await Task.Delay(10);

        admission.AnswerFromSoldOutFlag(1, "b", "x").Should().Be(new GateDecision(GateOutcome.SoldOut, 0, 0), "the last unit went: losers need not ask the gate");
        admission.AnswerFromSoldOutFlag(1, "a", "r1").Should().Be(new GateDecision(GateOutcome.Replayed, 77, 0), "the winner's retry still gets its order");
        gate.Calls.Should().Be(1);
        admission.ClearSoldOut(1);
        admission.AnswerFromSoldOutFlag(1, "b", "x").Should().BeNull();
    }

    private static PurchaseAdmission NewAdmission(IStockGate gate, AdmissionOptions options) =>
        new(gate, Options.Create(options), TimeProvider.System, NullLogger<PurchaseAdmission>.Instance);

    /// <summary>A clock whose timestamps stand still, so a flag set now is still set when read.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        public override long GetTimestamp() => 1_000;
    }
}

/// <summary>A trivial in-memory gate: accepts while stock lasts, counts calls and batch sizes.</summary>
internal sealed class CountingGate(long stock) : IStockGate
{
    private long _stock = stock;
    public int Calls;
    public int LargestBatch;
    public TaskCompletionSource? Hold { get; init; }
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public Exception? Failure { get; init; }

    public async Task DecideAsync(long saleId, ReadOnlyMemory<PurchaseRequest> requests, Memory<GateDecision> decisions, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Calls);
        InterlockedMax(ref LargestBatch, requests.Length);
        Entered.TrySetResult();
        if (Hold is not null) await Hold.Task;
        if (Failure is not null) throw Failure;
        for (var i = 0; i < requests.Length; i++)
        {
            var r = requests.Span[i];
            var left = Interlocked.Add(ref _stock, -r.Quantity);
            if (left >= 0) _accepted[(r.UserId, r.RequestId)] = r.CandidateOrderId;
            decisions.Span[i] = left >= 0
                ? new GateDecision(GateOutcome.Accepted, r.CandidateOrderId, left)
                : new GateDecision(GateOutcome.SoldOut, 0, 0);
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current) { }
    }

    public Task PreheatAsync(SaleStockSnapshot snapshot, CancellationToken cancellationToken) => Task.CompletedTask;
    public Task<GateSaleCounters?> GetCountersAsync(long saleId, CancellationToken cancellationToken) => Task.FromResult<GateSaleCounters?>(null);
    public Task<OrderIntent?> FindIntentAsync(long orderId, CancellationToken cancellationToken) => Task.FromResult<OrderIntent?>(null);
    public Task<bool> ReturnFailedAsync(OrderIntent intent, CancellationToken cancellationToken) => Task.FromResult(true);

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, string), long> _accepted = new();

    public Task<IReadOnlyDictionary<(string UserId, string RequestId), long>> GetAcceptedRequestsAsync(long saleId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<(string, string), long>>(new Dictionary<(string, string), long>(_accepted));
}
