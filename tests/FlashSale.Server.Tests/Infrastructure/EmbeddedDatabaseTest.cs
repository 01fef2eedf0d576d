namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>A test class with a SQLite file of its own for the embedded server processes its tests start; deleted after each test.</summary>
public abstract class EmbeddedDatabaseTest : IDisposable
{
    protected EmbeddedDatabase Database { get; } = new();

    public void Dispose()
    {
        Database.Dispose();
        GC.SuppressFinalize(this);
    }
}
