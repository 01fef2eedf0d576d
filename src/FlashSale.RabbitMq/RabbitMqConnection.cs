using RabbitMQ.Client;

namespace FlashSale.RabbitMq;

/// <summary>One connection per process, opened on first use and recovered by the client after a drop.</summary>
public sealed class RabbitMqConnection(string connectionString, string clientName) : IAsyncDisposable
{
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
                RequestedHeartbeat = TimeSpan.FromSeconds(10),
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
