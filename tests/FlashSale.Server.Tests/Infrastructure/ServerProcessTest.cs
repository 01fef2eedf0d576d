namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>
/// A test class with server processes of its own: started before each test (after the services they need,
/// if the class brings its own), stopped after it, with a client for each.
/// </summary>
public abstract class ServerProcessTest(params ServerProcess[] servers) : IAsyncLifetime
{
    protected ServerProcess[] Servers { get; } = servers;
    protected ServerProcess Server => Servers[0];
    protected FlashSaleClient[] Clients { get; private set; } = [];
    protected FlashSaleClient Client => Clients[0];

    /// <summary>Starts what the servers need beyond the shared test services (a private Redis, say).</summary>
    protected virtual Task StartServicesAsync() => Task.CompletedTask;

    protected virtual ValueTask StopServicesAsync() => ValueTask.CompletedTask;

    public virtual async Task InitializeAsync()
    {
        await StartServicesAsync();
        await Task.WhenAll(Servers.Select(s => s.StartAsync()));
        Clients = Servers.Select(s => FlashSaleClient.For(s)).ToArray();
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var server in Servers) await server.DisposeAsync();
        await StopServicesAsync();
    }
}
