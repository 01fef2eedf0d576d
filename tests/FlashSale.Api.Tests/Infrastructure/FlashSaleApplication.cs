using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace FlashSale.Api.Tests.Infrastructure;

/// <summary>
/// The FlashSale server inside the test process (TestServer: no port, no socket), in embedded mode on a
/// temporary SQLite file of its own, configured as <see cref="ServerProcess.Embedded"/> configures a process.
/// The server's own Program runs as it does from the command line (its start-up work, then the start); disposing
/// stops it and deletes the file.
/// </summary>
/// <param name="services">Replaces parts of the server (a payment provider that declines, say), after its own registrations.</param>
public sealed class FlashSaleApplication(IDictionary<string, string>? settings = null, Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    public EmbeddedDatabase Database { get; } = new();

    /// <summary>A client of the API; the first one starts the server.</summary>
    public FlashSaleClient CreateFlashSaleClient()
    {
        try
        {
            var http = CreateClient();
            Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.IsCancellationRequested.Should().BeTrue("the server started");
            return new FlashSaleClient(http);
        }
        catch (ObjectDisposedException ex)
        {
            // The server answers a refused start with "FlashSale cannot start: ..." on standard error and exit code 2,
            // disposing the app it built: the factory then meets a disposed service provider.
            throw new InvalidOperationException("The server refused to start: its reason is on standard error (\"FlashSale cannot start: ...\").", ex);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Given as host settings, these reach the server as command-line arguments: its configuration has them
        // while Program builds (the mode picks the adapters there), before any later configuration source.
        builder.UseEnvironment("Production");
        var all = TestServices.Merge(TestServices.ServerSettings("api,worker"), TestServices.EmbeddedSettings(Database.Path), QuietConsole, settings);
        foreach (var (key, value) in all) builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureTestServices(services);
    }

    /// <summary>The server logs to the test run's console here, not to a process log of its own: warnings and errors only.</summary>
    private static readonly Dictionary<string, string> QuietConsole = new() { ["Logging:LogLevel:FlashSale"] = "Warning" };

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing); // DisposeAsync ends here too, after the server stopped
        if (disposing) Database.Dispose();
    }
}
