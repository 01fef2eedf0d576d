using System.Text;
using FlashSale.Core.Payments;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace FlashSale.Core.Tests;

public sealed class PaymentOptionsTests
{
    private const string GoodSecret = "4f9c1d7e2a8b3f60c5e9d1a7b2f8e3c4";

    private static IEnumerable<string> Failures(PaymentOptions options, string environment)
    {
        var result = new PaymentOptionsValidator(new HostEnvironment(environment)).Validate(null, options);
        return result.Failed ? result.Failures : [];
    }

    [Fact]
    public void The_defaults_are_CNY_and_the_sandbox()
    {
        var options = new PaymentOptions();

        options.Currency.Should().Be("CNY");
        options.Provider.Should().Be("sandbox");
    }

    [Fact]
    public void Outside_Development_a_missing_or_short_secret_is_refused_naming_its_key()
    {
        Failures(new PaymentOptions(), Environments.Production).Should().ContainSingle().Which.Should().Contain("FlashSale:Payments:WebhookSecret is required");
        Failures(new PaymentOptions { WebhookSecret = GoodSecret[..^1] }, Environments.Production)
            .Should().ContainSingle().Which.Should().Contain("at least 32 characters");
        Failures(new PaymentOptions { WebhookSecret = GoodSecret }, Environments.Production).Should().BeEmpty();
    }

    [Fact]
    public void In_Development_the_secret_may_be_unset_but_not_short()
    {
        Failures(new PaymentOptions(), Environments.Development).Should().BeEmpty();
        Failures(new PaymentOptions { WebhookSecret = "short" }, Environments.Development).Should().ContainSingle();
    }

    [Theory]
    [InlineData("cny", "sandbox")]
    [InlineData("CN", "sandbox")]
    [InlineData("CNY", "")]
    [InlineData("CNY", "Sand Box")]
    public void A_currency_or_provider_out_of_form_is_refused(string currency, string provider) =>
        Failures(new PaymentOptions { WebhookSecret = GoodSecret, Currency = currency, Provider = provider }, Environments.Production).Should().ContainSingle();

    [Fact]
    public void Without_a_known_environment_the_strict_rule_holds()
    {
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        var options = new PaymentOptions();

        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), results, true).Should().BeFalse();
        options.Invoking(o => o.WebhookKey()).Should().Throw<InvalidOperationException>();
        new PaymentOptions { WebhookSecret = GoodSecret }.WebhookKey().Should().Equal(Encoding.UTF8.GetBytes(GoodSecret));
    }
}

/// <summary>A host environment by name, for validators that judge by it.</summary>
internal sealed class HostEnvironment(string name) : IHostEnvironment
{
    public string EnvironmentName { get; set; } = name;
    public string ApplicationName { get; set; } = "FlashSale.Core.Tests";
    public string ContentRootPath { get; set; } = "/";
    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}
