using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Gateway;

/// <summary>The captcha (FlashSale:Gateway:Captcha).</summary>
public sealed class CaptchaOptions
{
    public const string Section = "FlashSale:Gateway:Captcha";

    /// <summary>The name of a registered provider (<see cref="CaptchaProviders.AddCaptchaProvider"/>); built in: <c>arithmetic</c>.</summary>
    public string Provider { get; set; } = ArithmeticCaptcha.ProviderName;

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a call to the provider may take; past it the caller gets 503 captcha_unavailable.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan Timeout { get; set; } = DefaultTimeout;
}

/// <summary>A captcha provider the configuration can name.</summary>
public sealed record CaptchaProvider(string Name, Func<IServiceProvider, ICaptcha> Create);

/// <summary>
/// The captcha providers a process knows, by name, and the one <see cref="CaptchaOptions.Provider"/> picks. A deployment
/// plugs in its own provider in code, <c>services.AddCaptchaProvider("turnstile", sp => new MyTurnstile(...))</c>, and
/// names it in configuration; a name no provider answers to stops the start.
/// </summary>
public static class CaptchaProviders
{
    public static IServiceCollection AddCaptchaProvider(this IServiceCollection services, string name, Func<IServiceProvider, ICaptcha> create)
    {
        services.AddSingleton(new CaptchaProvider(name, create));
        return services;
    }

    /// <summary>The options (bound and checked on start), the built-in provider, and <see cref="ICaptcha"/> as the configured provider.</summary>
    public static IServiceCollection AddCaptcha(this IServiceCollection services)
    {
        services.AddOptions<CaptchaOptions>().BindConfiguration(CaptchaOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<CaptchaOptions>, CaptchaOptionsValidator>();
        services.AddCaptchaProvider(ArithmeticCaptcha.ProviderName, _ => new ArithmeticCaptcha());
        services.AddSingleton<ICaptcha>(sp =>
        {
            var name = sp.GetRequiredService<IOptions<CaptchaOptions>>().Value.Provider;
            // The last registration of a name wins, so a host can replace a built-in one.
            var provider = sp.GetServices<CaptchaProvider>().LastOrDefault(p => p.Name == name)
                ?? throw new OptionsValidationException(CaptchaOptions.Section, typeof(CaptchaOptions), [CaptchaOptionsValidator.Unknown(name, sp.GetServices<CaptchaProvider>())]);
            return provider.Create(sp);
        });
        return services;
    }
}

/// <summary>The configured provider must be one this process has.</summary>
public sealed class CaptchaOptionsValidator(IEnumerable<CaptchaProvider> providers) : IValidateOptions<CaptchaOptions>
{
    public ValidateOptionsResult Validate(string? name, CaptchaOptions options) =>
        providers.Any(p => p.Name == options.Provider) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(Unknown(options.Provider, providers));

    internal static string Unknown(string? provider, IEnumerable<CaptchaProvider> providers) =>
        $"FlashSale:Gateway:Captcha:Provider '{provider}' is unknown; use {string.Join(" or ", providers.Select(p => p.Name).Distinct())}"
        + " (another provider is plugged in code: implement ICaptcha and register it with AddCaptchaProvider, see docs/gateway.md).";
}
