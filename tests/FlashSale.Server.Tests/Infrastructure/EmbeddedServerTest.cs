namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>A test class with one embedded-mode server on a SQLite file of its own.</summary>
public abstract class EmbeddedServerTest : IAsyncLifetime
{
    protected EmbeddedDatabase Database { get; } = new();
    protected ServerProcess Server { get; set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Server = ServerProcess.Embedded(Database.Path);
        await Server.StartAsync();
    }

    public virtual async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        Database.Dispose();
    }
}
