using System.Net;
using System.Security.Cryptography;
using FlashSale.Core.Payments;
using FlashSale.Core.Gateway;
using FlashSale.Core.Hosting;
using FlashSale.Core.Notifications;

namespace FlashSale.Server.Hosting;

/// <summary>What this process is (section FlashSale): its mode, its roles, its secrets.</summary>
public sealed class FlashSaleOptions
{
    public const string Section = "FlashSale";

    public FlashSaleMode Mode { get; set; } = FlashSaleMode.Embedded;

    /// <summary>What a distributed process runs: <c>api</c>, <c>worker</c> or <c>api,worker</c>. Embedded runs both.</summary>
    public ProcessRoles Roles { get; set; } = ProcessRoles.Api | ProcessRoles.Worker;

    /// <summary>The X-Admin-Key header value for admin calls; at least 16 characters. Generated in Development only.</summary>
    public string? AdminKey { get; set; }

    public AuthOptions Auth { get; set; } = new();

    public ForwardedHeadersSettings ForwardedHeaders { get; set; } = new();

    public MetricsSettings Metrics { get; set; } = new();

    public bool Runs(ProcessRoles role) => (Roles & role) == role;

    /// <summary>Binds the section for wiring the adapters; a mode or role that is not one of the names fails here, with the key.</summary>
    public static FlashSaleOptions Read(IConfiguration configuration)
    {
        try
        {
            return configuration.GetSection(Section).Get<FlashSaleOptions>() ?? new FlashSaleOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(Section, typeof(FlashSaleOptions),
                [$"{ex.Message.TrimEnd('.')}. FlashSale:Mode is Embedded or Distributed; FlashSale:Roles is api, worker or api,worker."]);
        }
    }
}

/// <summary>FlashSale:Metrics: who may read <c>/metrics</c> and how often the sampled gauges are read.</summary>
public sealed class MetricsSettings
{
    public static readonly TimeSpan MinSampleInterval = TimeSpan.FromSeconds(1), MaxSampleInterval = TimeSpan.FromMinutes(10);

    /// <summary>True (the default): <c>/metrics</c> answers only with the admin key, as <c>Authorization: Bearer</c> or <c>X-Admin-Key</c>.</summary>
    public bool RequireAdminKey { get; set; } = true;

    /// <summary>How often stock, ledger, queue and dependency gauges are read from the servers.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);
}

public enum FlashSaleMode
{
    /// <summary>One process, no servers: the in-process gate, SQLite, an in-process queue and writer.</summary>
    Embedded,
    /// <summary>Redis (gate and ledger), RabbitMQ (order queue), PostgreSQL (system of record); any number of processes.</summary>
    Distributed,
}

[Flags]
public enum ProcessRoles
{
    None = 0,
    /// <summary>Serves HTTP: pages, the funnel, orders, admin.</summary>
    Api = 1,
    /// <summary>Moves accepted intents to the database: relay, order writer, sweepers, reconciliation.</summary>
    Worker = 2,
}

public sealed class AuthOptions
{
    /// <summary>HS256 key for user tokens, at least 32 characters. Generated in Development only.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Serve POST /api/dev/token, and take the tokens it issues. Unset: on in Development only. Anyone can sign in
    /// as anyone with it: outside Development, turning it on is logged as a warning at every start.</summary>
    public bool? DevTokens { get; set; }

    public string Issuer { get; set; } = "flashsale";

    /// <summary>The audience (<c>aud</c>) this deployment's tokens are issued for; a token without it, or for another, is refused.
    /// Never <see cref="UserTokens.DevAudience"/>, which only dev tokens carry.</summary>
    public string Audience { get; set; } = DefaultAudience;

    public const string DefaultAudience = "flashsale";

    public TimeSpan DevTokenLifetime { get; set; } = TimeSpan.FromHours(12);
}

/// <summary>
/// Whose X-Forwarded-For names the client (FlashSale:ForwardedHeaders): the CDN or load balancer in front. Unset, only
/// loopback is trusted (a proxy on the same host); set, exactly the listed proxies and networks are (list 127.0.0.1 too
/// if a local proxy also stands in front). The header is read from the right, one hop at a time, while the hop it came
/// from is trusted: a chain of trusted proxies is walked, and what a client wrote itself is never believed.
/// ASPNETCORE_FORWARDEDHEADERS_ENABLED cannot widen this (it would trust anyone): these lists are applied after it.
/// </summary>
public sealed class ForwardedHeadersSettings
{
    /// <summary>Proxy addresses, e.g. <c>10.0.0.5</c>, <c>2001:db8::5</c>.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Proxy networks in CIDR notation, e.g. <c>10.0.0.0/8</c>, <c>2001:db8::/32</c>.</summary>
    public string[] KnownNetworks { get; set; } = [];

    /// <summary>Each entry that is no address or no network, by its key.</summary>
    public IEnumerable<string> Failures()
    {
        for (var i = 0; i < KnownProxies.Length; i++)
        {
            if (!IpText.TryParseAddress(KnownProxies[i], out _))
                yield return $"FlashSale:ForwardedHeaders:KnownProxies:{i} '{KnownProxies[i]}' is not an IP address (e.g. 10.0.0.5 or 2001:db8::5).";
        }
        for (var i = 0; i < KnownNetworks.Length; i++)
        {
            if (!IpText.TryParseNetwork(KnownNetworks[i], out _))
                yield return $"FlashSale:ForwardedHeaders:KnownNetworks:{i} '{KnownNetworks[i]}' is not a network in CIDR notation with no bits past its prefix and at least /{IpText.MinNetworkPrefixV4} (IPv4) or /{IpText.MinNetworkPrefixV6} (IPv6) (e.g. 10.0.0.0/8 or 2001:db8::/32).";
        }
    }

    /// <summary>The trust the forwarded-headers middleware applies: X-Forwarded-For only, from these proxies only, hop by hop.</summary>
    public void ApplyTo(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor;
        options.ForwardLimit = null; // each hop is taken only from a trusted peer: the walk stops at the first other one
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        if (KnownProxies.Length == 0 && KnownNetworks.Length == 0)
        {
            options.KnownProxies.Add(IPAddress.IPv6Loopback);
            options.KnownIPNetworks.Add(new IPNetwork(IPAddress.Loopback, 8));
            return;
        }
        foreach (var proxy in KnownProxies) if (IpText.TryParseAddress(proxy, out var address)) options.KnownProxies.Add(address);
        foreach (var network in KnownNetworks) if (IpText.TryParseNetwork(network, out var parsed)) options.KnownIPNetworks.Add(parsed);
    }
}

/// <summary>
/// Fills what a first run in Development may leave unset (secrets, generated and remembered in
/// <see cref="Generated"/> for the start-up log; the dev-token default); nothing outside Development.
/// </summary>
public sealed class FlashSaleDefaults(IHostEnvironment environment)
    : IPostConfigureOptions<FlashSaleOptions>, IPostConfigureOptions<GatewayOptions>, IPostConfigureOptions<PaymentOptions>,
      IPostConfigureOptions<NotificationOptions>
{
    private readonly Dictionary<string, string> _generated = [];

    /// <summary>The keys generated for this run (options are built more than once; each key gets one value).</summary>
    public IReadOnlyCollection<string> Generated { get { lock (_generated) return [.. _generated.Keys]; } }

    public void PostConfigure(string? name, FlashSaleOptions options)
    {
        options.AdminKey ??= Generate("FlashSale:AdminKey");
        options.Auth.SigningKey ??= Generate("FlashSale:Auth:SigningKey");
        options.Auth.DevTokens ??= environment.IsDevelopment();
    }

    public void PostConfigure(string? name, GatewayOptions options) =>
        options.TokenSecret = string.IsNullOrEmpty(options.TokenSecret) ? Generate("FlashSale:Gateway:TokenSecret") : options.TokenSecret;

    public void PostConfigure(string? name, PaymentOptions options) =>
        options.WebhookSecret = string.IsNullOrEmpty(options.WebhookSecret) ? Generate("FlashSale:Payments:WebhookSecret") : options.WebhookSecret;

    /// <summary>A webhook secret only where a webhook is configured.</summary>
    public void PostConfigure(string? name, NotificationOptions options)
    {
        if (options.WebhookEnabled && string.IsNullOrEmpty(options.WebhookSecret)) options.WebhookSecret = Generate("FlashSale:Notifications:WebhookSecret");
    }

    private string? Generate(string key)
    {
        if (!environment.IsDevelopment()) return null;
        lock (_generated)
        {
            if (!_generated.TryGetValue(key, out var value)) _generated[key] = value = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant();
            return value;
        }
    }
}

/// <summary>The rules <see cref="FlashSaleOptions"/> and the gateway's secret obey; checked on start, each failure naming its key.</summary>
public sealed class FlashSaleOptionsValidator(IHostEnvironment environment) : IValidateOptions<FlashSaleOptions>, IValidateOptions<GatewayOptions>, IValidateOptions<NotificationOptions>
{
    public ValidateOptionsResult Validate(string? name, FlashSaleOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Mode)) failures.Add($"FlashSale:Mode '{options.Mode}' is unknown; use Embedded or Distributed.");
        if (options.Roles == ProcessRoles.None || (options.Roles & ~(ProcessRoles.Api | ProcessRoles.Worker)) != 0)
            failures.Add($"FlashSale:Roles '{options.Roles}' names no role; use api, worker or api,worker.");
        else if (options.Mode == FlashSaleMode.Embedded && options.Roles != (ProcessRoles.Api | ProcessRoles.Worker))
            failures.Add($"FlashSale:Roles '{options.Roles}': embedded mode runs api and worker in one process; use api,worker or the Distributed mode.");
        Secret(failures, options.AdminKey, "FlashSale:AdminKey", 16);
        Secret(failures, options.Auth.SigningKey, "FlashSale:Auth:SigningKey", 32);
        if (string.IsNullOrWhiteSpace(options.Auth.Audience) || options.Auth.Audience == UserTokens.DevAudience)
            failures.Add($"FlashSale:Auth:Audience must name this deployment's token audience (not empty, not {UserTokens.DevAudience}, which dev tokens carry).");
        failures.AddRange(options.ForwardedHeaders.Failures());
        if (options.Metrics.SampleInterval < MetricsSettings.MinSampleInterval || options.Metrics.SampleInterval > MetricsSettings.MaxSampleInterval)
            failures.Add($"FlashSale:Metrics:SampleInterval '{options.Metrics.SampleInterval}' must be between {MetricsSettings.MinSampleInterval} and {MetricsSettings.MaxSampleInterval}.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        Secret(failures, options.TokenSecret, "FlashSale:Gateway:TokenSecret", 32);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, NotificationOptions options) =>
        options.Failures(production: !environment.IsDevelopment()).ToList() is { Count: > 0 } failures ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;

    private void Secret(List<string> failures, string? value, string key, int minLength)
    {
        var variable = key.Replace(":", "__", StringComparison.Ordinal);
        if (string.IsNullOrEmpty(value)) failures.Add($"{key} is required outside Development; set it in configuration or the environment ({variable}).");
        else if (Secrets.Weakness(key, value, minLength, production: !environment.IsDevelopment()) is { } weakness) failures.Add(weakness);
    }
}
