using FlashSale.Core.Gateway;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Tests;

public sealed class CaptchaProvidersTests
{
    private static ServiceProvider Services(string? provider, Action<IServiceCollection>? more = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(provider is null ? [] : [new("FlashSale:Gateway:Captcha:Provider", provider)])
            .Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddCaptcha();
        more?.Invoke(services);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void The_arithmetic_captcha_is_the_default()
    {
        using var services = Services(provider: null);

        services.GetRequiredService<ICaptcha>().Should().BeOfType<ArithmeticCaptcha>();
    }

    [Fact]
    public void A_provider_name_no_provider_answers_to_fails_naming_the_key_and_the_known_names()
    {
        using var services = Services("recaptcha");

        var failure = FluentActions.Invoking(() => services.GetRequiredService<IOptions<CaptchaOptions>>().Value).Should().Throw<OptionsValidationException>().Which;

        failure.Message.Should().Contain("FlashSale:Gateway:Captcha:Provider 'recaptcha' is unknown; use arithmetic");
    }

    [Fact]
    public void A_provider_registered_in_code_is_taken_when_configuration_names_it()
    {
        var plugged = new ArithmeticCaptcha();
        using var services = Services("plugged", s => s.AddCaptchaProvider("plugged", _ => plugged));

        services.GetRequiredService<ICaptcha>().Should().BeSameAs(plugged);
    }
}
