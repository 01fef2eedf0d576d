namespace FlashSale.Server.Tests.Infrastructure;

/// <summary>A test class with one embedded-mode server process on a SQLite file of its own.</summary>
public abstract class EmbeddedServerTest : ServerProcessTest
{
    protected EmbeddedServerTest(IDictionary<string, string>? settings = null)
        : this(new EmbeddedDatabase(), settings)
    {
    }

    private EmbeddedServerTest(EmbeddedDatabase database, IDictionary<string, string>? settings)
        : base(ServerProcess.Embedded(database.Path, settings)) => Database = database;

    protected EmbeddedDatabase Database { get; }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Database.Dispose();
    }
}
