using System.Globalization;
using FlashSale.Core.Gateway;

namespace FlashSale.Server.Auth;

public static class CallerExtensions
{
    public const string DeviceHeader = "X-Device-Id";
    public const string AccountCreatedClaim = "account_created";

    /// <summary>No X-Device-Id, or one every store can keep (<see cref="Identifiers.IsValidDeviceId"/>).</summary>
    public static bool HasValidDeviceId(this HttpContext context) =>
        context.Request.Headers[DeviceHeader] is { Count: 0 } || Identifiers.IsValidDeviceId(context.Request.Headers[DeviceHeader].ToString());

    /// <summary>
    /// The caller as the funnel sees it: user (token), client IP (X-Forwarded-For is honoured from the configured proxies
    /// only, see <see cref="Hosting.ForwardedHeadersSettings"/>; a mapped IPv4 address is the IPv4 address, an IPv6 one its
    /// /64), device id header, account age claim.
    /// </summary>
    public static PurchaseCaller Caller(this HttpContext context)
    {
        var device = context.Request.Headers[DeviceHeader].ToString();
        var created = context.User.FindFirst(AccountCreatedClaim)?.Value;
        return new PurchaseCaller(
            context.User.UserId(),
            context.ClientIp(),
            Identifiers.IsValidDeviceId(device) ? device : null,
            long.TryParse(created, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null);
    }

    /// <summary>The client's address as the gateway tells clients apart (after the trusted proxies; an IPv6 client is its /64).</summary>
    public static ClientIp ClientIp(this HttpContext context) => Core.Gateway.ClientIp.From(context.Connection.RemoteIpAddress);
}
