using System.Globalization;

namespace FlashSale.Server.Http;

/// <summary>Ids in the HTTP API are strings: 64-bit values do not fit JavaScript numbers.</summary>
public static class ApiId
{
    public static string Of(long id) => id.ToString(CultureInfo.InvariantCulture);
}
