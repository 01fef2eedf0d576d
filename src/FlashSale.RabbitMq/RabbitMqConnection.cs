using RabbitMQ.Client;

namespace FlashSale.RabbitMq;

/// <summary>
/// One connection per process, opened on first use and recovered by the client after a drop. Heartbeats
/// detect a dead peer or a half-open connection; every protocol call (connect, handshake, channel and
/// queue operations) and every publisher-confirm wait has <see cref="CallTimeout"/> as its deadline.
/// </summary>
public sealed class RabbitMqConnection(string connectionString, string clientName, TimeSpan? callTimeout = null) : IAsyncDisposable
{
    /// <summary>Deadline of one call to the broker, confirms included.</summary>
    public TimeSpan CallTimeout { get; } = callTimeout ?? TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    public async Task<IConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (_connection is { IsOpen: true } open) return open;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_connection is { IsOpen: true } again) return again;
            if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
            var factory = new ConnectionFactory
            {
                Uri = new Uri(connectionString),
                AutomaticRecoveryEnabled = true,
                TopologyRecoveryEnabled = true,
                ClientProvidedName = clientName,
                RequestedHeartbeat = TimeSpan.FromSeconds(5),
                RequestedConnectionTimeout = CallTimeout,
                HandshakeContinuationTimeout = CallTimeout,
                ContinuationTimeout = CallTimeout,
            };
            _connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await RabbitMqTopology.DeclareAsync(channel, cancellationToken).ConfigureAwait(false);
            return _connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null) await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
