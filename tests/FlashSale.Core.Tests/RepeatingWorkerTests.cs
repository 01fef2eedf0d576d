using FlashSale.Core.Workers;

namespace FlashSale.Core.Tests;

public sealed class RepeatingWorkerTests
{
    [Fact]
    public async Task Failures_in_a_row_are_counted_logged_and_paused_for_and_a_pass_that_went_well_starts_the_count_again()
    {
        using var worker = new ScriptedWorker(
            Throw(new InvalidOperationException("down")), Throw(new TimeoutException("slow")), Return(ScriptedWorker.Outcome.Done),
            Return(ScriptedWorker.Outcome.Unfinished), Return(ScriptedWorker.Outcome.Unfinished), Return(ScriptedWorker.Outcome.More),
            Return(ScriptedWorker.Outcome.Done), Throw(new OperationCanceledException("not ours")));

        await worker.StartAsync(default);
        await worker.ScriptDone.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await worker.StopAsync(default);

        worker.Pauses.Should().Equal([1, 2, 0, 1, 2, 0, 1], "a pass with more to do is followed by the next at once");
        worker.Logged.Should().Equal([(nameof(InvalidOperationException), 1), (nameof(TimeoutException), 2), (nameof(OperationCanceledException), 1)],
            "an unfinished pass says why itself; a cancellation that is not the stop is a failure like any other");
        worker.ExecuteTask!.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task The_first_pass_waits_the_first_pause_and_a_stop_ends_the_wait()
    {
        using var worker = new ScriptedWorker(Return(ScriptedWorker.Outcome.Done)) { First = TimeSpan.FromHours(1) };

        await worker.StartAsync(default);
        await Task.Delay(200);
        var stopping = worker.StopAsync(default);

        await stopping.WaitAsync(TimeSpan.FromSeconds(5));
        worker.Passes.Should().Be(0);
        worker.Logged.Should().BeEmpty("stopping is no failure");
        worker.ExecuteTask!.IsCompletedSuccessfully.Should().BeTrue();
    }

    [Fact]
    public async Task A_pass_cancelled_by_the_stop_ends_the_loop_without_a_failure()
    {
        var inPass = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var worker = new ScriptedWorker(async ct =>
        {
            inPass.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return ScriptedWorker.Outcome.Done;
        });

        await worker.StartAsync(default);
        await inPass.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await worker.StopAsync(default).WaitAsync(TimeSpan.FromSeconds(5));

        worker.Logged.Should().BeEmpty();
        worker.Pauses.Should().BeEmpty();
    }

    private static Func<CancellationToken, Task<ScriptedWorker.Outcome>> Return(ScriptedWorker.Outcome outcome) => _ => Task.FromResult(outcome);

    private static Func<CancellationToken, Task<ScriptedWorker.Outcome>> Throw(Exception exception) => _ => Task.FromException<ScriptedWorker.Outcome>(exception);

    /// <summary>Runs its passes from a script, then waits for the stop; records what the loop asked of it.</summary>
    private sealed class ScriptedWorker(params Func<CancellationToken, Task<ScriptedWorker.Outcome>>[] script) : RepeatingWorker
    {
        public enum Outcome { More, Done, Unfinished }

        public TimeSpan First { get; init; } = TimeSpan.Zero;
        public List<int> Pauses { get; } = [];
        public List<(string Exception, int Failures)> Logged { get; } = [];
        public TaskCompletionSource ScriptDone { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int Passes { get; private set; }

        protected override TimeSpan FirstPause => First;

        protected override async Task<Pass> RunPassAsync(CancellationToken stoppingToken)
        {
            if (Passes == script.Length)
            {
                ScriptDone.TrySetResult();
                await Task.Delay(Timeout.Infinite, stoppingToken);
            }
            var outcome = await script[Passes++](stoppingToken);
            return outcome switch { Outcome.More => Pass.More, Outcome.Done => Pass.Done, _ => Pass.Unfinished };
        }

        protected override TimeSpan Pause(int failures)
        {
            Pauses.Add(failures);
            return TimeSpan.FromMilliseconds(1);
        }

        protected override void LogFailure(Exception exception, int failures) => Logged.Add((exception.GetType().Name, failures));
    }
}
