using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace FlashSale.Server.Hosting;

/// <summary>
/// The options as this process runs them: secrets checked (production never runs on a default) and,
/// in Development only, generated when missing so a first run needs no configuration.
/// </summary>
public sealed class FlashSaleSettings
{
    public FlashSaleSettings(IOptions<FlashSaleOptions> options, IOptions<FlashSale.Core.Gateway.GatewayOptions> gateway, IHostEnvironment environment, ILogger<FlashSaleSettings> logger)
    {
        var o = options.Value;
        var development = environment.IsDevelopment();
        if (!o.IsEmbedded && !string.Equals(o.Mode, "Distributed", StringComparison.OrdinalIgnoreCase))
        {
            throw new OptionsValidationException(FlashSaleOptions.Section, typeof(FlashSaleOptions),
                [$"FlashSale:Mode '{o.Mode}' is unknown; use 'Embedded' or 'Distributed'."]);
        }
        if (o.IsEmbedded && !(o.HasRole("api") && o.HasRole("worker")))
        {
            throw new OptionsValidationException(FlashSaleOptions.Section, typeof(FlashSaleOptions),
                [$"FlashSale:Roles '{o.Roles}': embedded mode runs api and worker in one process; use 'api,worker' or the Distributed mode."]);
        }
        if (!o.HasRole("api") && !o.HasRole("worker"))
        {
            throw new OptionsValidationException(FlashSaleOptions.Section, typeof(FlashSaleOptions),
                [$"FlashSale:Roles '{o.Roles}' names no role; use 'api', 'worker' or 'api,worker'."]);
        }

        AdminKey = Secret(o.AdminKey, "FlashSale:AdminKey (env FlashSale__AdminKey)", 16, development, logger);
        SigningKey = Secret(o.Auth.SigningKey, "FlashSale:Auth:SigningKey (env FlashSale__Auth__SigningKey)", 32, development, logger);
        TokenSecret = Secret(gateway.Value.TokenSecret, "FlashSale:Gateway:TokenSecret (env FlashSale__Gateway__TokenSecret)", 32, development, logger);
        // Dev tokens default on where a newcomer tries things (Development, embedded), off otherwise.
        DevTokens = o.Auth.DevTokens ?? (development || o.IsEmbedded);
        Issuer = o.Auth.Issuer;
        DevTokenLifetime = o.Auth.DevTokenLifetime;
        Embedded = o.IsEmbedded;
        RunsApi = o.HasRole("api");
        RunsWorker = o.HasRole("worker");
    }

    public string AdminKey { get; }
    public string SigningKey { get; }
    public string TokenSecret { get; }
    public bool DevTokens { get; }
    public string Issuer { get; }
    public TimeSpan DevTokenLifetime { get; }
    public bool Embedded { get; }
    public bool RunsApi { get; }
    public bool RunsWorker { get; }

    private static string Secret(string? configured, string name, int minLength, bool development, ILogger logger)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            if (configured.Length < minLength)
            {
                throw new OptionsValidationException(name, typeof(FlashSaleOptions), [$"{name} must be at least {minLength} characters."]);
            }
            return configured;
        }
        if (!development)
        {
            throw new OptionsValidationException(name, typeof(FlashSaleOptions),
                [$"{name} is required outside Development; set it in configuration or the environment."]);
        }
        var generated = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
        logger.LogWarning("{Name} is not set; generated one for this Development run: {Value}", name, generated);
        return generated;
    }
}
