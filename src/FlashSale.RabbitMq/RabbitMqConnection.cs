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

    private readonly Reopening<IConnection> _connection = new(c => c.IsOpen);

    public Task<IConnection> GetAsync(CancellationToken cancellationToken) => _connection.GetAsync(OpenAsync, cancellationToken);

    /// <summary>A new connection with the topology declared; one whose declaration fails is closed again.</summary>
    private async Task<IConnection> OpenAsync(IConnection? closed, CancellationToken cancellationToken)
    {
        if (closed is not null) await closed.DisposeAsync().ConfigureAwait(false);
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
        var connection = await factory.CreateConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            await RabbitMqTopology.DeclareAsync(channel, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
