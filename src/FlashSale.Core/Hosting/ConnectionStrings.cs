using Microsoft.Extensions.Configuration;

namespace FlashSale.Core.Hosting;

public static class ConnectionStrings
{
    /// <summary>ConnectionStrings:<paramref name="name"/>, or an error that says how to set it.</summary>
    public static string Required(IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new FlashSaleConfigurationException(
                $"ConnectionStrings:{name} is not set (env ConnectionStrings__{name}). Start the local services with `scripts/services.sh start` and export what it prints.");
}

/// <summary>The configuration cannot work; the message names the key and the fix.</summary>
public sealed class FlashSaleConfigurationException(string message) : Exception(message);
