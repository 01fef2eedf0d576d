using FlashSale.RabbitMq;

namespace FlashSale.Adapters.Tests;

/// <summary>The RabbitMQ connection's and the publisher's channel's one rule: one open instance, opened anew once it closes.</summary>
public sealed class ReopeningTests
{
    [Fact]
    public async Task Callers_share_one_open_instance_opened_once()
    {
        var opened = 0;
        var slowOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var reopening = new Reopening<Resource>(r => r.IsOpen);

        var callers = Enumerable.Range(0, 8).Select(_ => reopening.GetAsync(async (_, _) =>
        {
            Interlocked.Increment(ref opened);
            await slowOpen.Task;
            return new Resource();
        }, default)).ToArray();
        slowOpen.SetResult();
        var got = await Task.WhenAll(callers);

        opened.Should().Be(1, "the others wait for the first opening and take what it opened");
        got.Distinct().Should().ContainSingle();
    }

    [Fact]
    public async Task A_closed_instance_is_handed_to_the_next_opening_and_a_failed_opening_keeps_nothing()
    {
        var given = new List<Resource?>();
        var reopening = new Reopening<Resource>(r => r.IsOpen);
        Task<Resource> Get(bool fail = false) => reopening.GetAsync((closed, _) =>
        {
            given.Add(closed);
            return fail ? throw new TimeoutException("broker slow") : Task.FromResult(new Resource());
        }, default);

        var first = await Get();
        (await Get()).Should().BeSameAs(first, "still open");
        first.IsOpen = false;
        var act = () => Get(fail: true);
        await act.Should().ThrowAsync<TimeoutException>();
        var second = await Get();

        given.Should().Equal(null, first, first);
        second.Should().NotBeSameAs(first);
        await reopening.DisposeAsync();
        second.Disposed.Should().BeTrue();
        first.Disposed.Should().BeFalse("what a closed one needs is up to the opening it is given to");
    }

    [Fact]
    public async Task A_forgotten_instance_is_not_handed_out_again_and_only_the_current_one_can_be_forgotten()
    {
        await using var reopening = new Reopening<Resource>(r => r.IsOpen);
        var first = await reopening.GetAsync((_, _) => Task.FromResult(new Resource()), default);

        reopening.Forget(first).Should().BeTrue();
        var second = await reopening.GetAsync((closed, _) => Task.FromResult(closed is null ? new Resource() : throw new InvalidOperationException("given a forgotten one")), default);

        second.Should().NotBeSameAs(first);
        reopening.Forget(first).Should().BeFalse("another one is current now");
        (await reopening.GetAsync((_, _) => Task.FromResult(new Resource()), default)).Should().BeSameAs(second);
    }

    private sealed class Resource : IAsyncDisposable
    {
        public bool IsOpen { get; set; } = true;
        public bool Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
