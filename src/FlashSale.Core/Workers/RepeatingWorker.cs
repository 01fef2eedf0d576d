using Microsoft.Extensions.Hosting;

namespace FlashSale.Core.Workers;

/// <summary>
/// A background loop: runs a pass, pauses, and runs the next, until the host stops. A pass that throws (anything
/// but the cancellation of the stop) is logged by <see cref="LogFailure"/> and the next one waits
/// <see cref="Pause"/> for the failures in a row so far, so a worker backs off while what it needs is down.
/// </summary>
public abstract class RepeatingWorker(TimeProvider? time = null) : BackgroundService
{
    /// <summary>The clock the pauses are measured by.</summary>
    protected TimeProvider Time { get; } = time ?? TimeProvider.System;

    /// <summary>What a pass did, which decides the pause after it.</summary>
    protected enum Pass
    {
        /// <summary>Work may be waiting: the next pass runs at once.</summary>
        More,
        /// <summary>Done with what there was: the next pass comes after <see cref="Pause"/>(0).</summary>
        Done,
        /// <summary>Work was left undone (the pass said why): counts as a failure in a row, without a log.</summary>
        Unfinished,
    }

    /// <summary>The wait before the first pass.</summary>
    protected virtual TimeSpan FirstPause => TimeSpan.Zero;

    /// <summary>One pass.</summary>
    protected abstract Task<Pass> RunPassAsync(CancellationToken stoppingToken);

    /// <summary>The wait before the next pass, after <paramref name="failures"/> failed passes in a row (0: the last one went well).</summary>
    protected abstract TimeSpan Pause(int failures);

    /// <summary>Says that a pass failed; <paramref name="failures"/> counts the failures in a row, this one included.</summary>
    protected abstract void LogFailure(Exception exception, int failures);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        var pause = FirstPause;
        while (true)
        {
            try
            {
                if (pause > TimeSpan.Zero) await Task.Delay(pause, Time, stoppingToken).ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
                var pass = await RunPassAsync(stoppingToken).ConfigureAwait(false);
                failures = pass == Pass.Unfinished ? failures + 1 : 0;
                pause = pass == Pass.More ? TimeSpan.Zero : Pause(failures);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                LogFailure(ex, failures);
                pause = Pause(failures);
            }
        }
    }
}
