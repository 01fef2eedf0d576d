using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Api.Tests.Infrastructure;

/// <summary>A test class whose every test gets its own in-process server, on a SQLite file of its own.</summary>
public abstract class ApiTest(IDictionary<string, string>? settings = null, Action<IServiceCollection>? services = null) : IAsyncLifetime
{
    protected FlashSaleApplication App { get; } = new(settings, services);
    protected EmbeddedDatabase Database => App.Database;
    protected FlashSaleClient Client { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Client = App.CreateFlashSaleClient();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}
