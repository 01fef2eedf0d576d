using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Api.Tests.Infrastructure;

/// <summary>
/// Every connection comes from this address. TestServer reports none, and the forwarded-headers middleware believes the
/// first X-Forwarded-For hop of a request from no address: a test of whose header is believed sets the peer here,
/// before the server's own pipeline runs.
/// </summary>
public sealed class PeerAddress(IPAddress address) : IStartupFilter
{
    /// <summary>For <see cref="ApiTest"/>'s services: the server's connections come from <paramref name="address"/>.</summary>
    public static Action<IServiceCollection> Is(string address) =>
        services => services.AddSingleton<IStartupFilter>(new PeerAddress(IPAddress.Parse(address)));

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, following) =>
        {
            context.Connection.RemoteIpAddress = address;
            return following(context);
        });
        next(app);
    };
}
