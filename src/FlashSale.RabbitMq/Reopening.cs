namespace FlashSale.RabbitMq;

/// <summary>
/// One open <typeparamref name="T"/> (a connection, a channel) shared by every caller: handed out while it is open,
/// otherwise opened anew by one caller while the others wait; disposed with this.
/// </summary>
internal sealed class Reopening<T>(Func<T, bool> isOpen) : IAsyncDisposable where T : class, IAsyncDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private T? _current;

    /// <summary>The open one, or a new one from <paramref name="open"/>, which is given the closed one (null at first) to dispose of.</summary>
    public async Task<T> GetAsync(Func<T?, CancellationToken, Task<T>> open, CancellationToken cancellationToken)
    {
        if (_current is { } current && isOpen(current)) return current;
        await _turn.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_current is { } again && isOpen(again)) return again;
            return _current = await open(_current, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Lets go of <paramref name="stale"/> if it is still the one handed out (the next caller opens another); true when it was.</summary>
    public bool Forget(T stale) => ReferenceEquals(Interlocked.CompareExchange(ref _current, null, stale), stale);

    public async ValueTask DisposeAsync()
    {
        if (_current is not null) await _current.DisposeAsync().ConfigureAwait(false);
        _turn.Dispose();
    }
}
