using FlashSale.Core.Hosting;
using FlashSale.Core.Payments;
using Microsoft.Extensions.Hosting;

namespace FlashSale.Core.Tests;

/// <summary>Outside Development a secret is neither a placeholder nor a string of too little variety; in Development anything long enough goes.</summary>
public sealed class SecretsTests
{
    [Theory]
    [InlineData("change-me-32-characters-at-least!!")] // the README's old examples
    [InlineData("change-me-token-secret-32-characters")]
    [InlineData("CHANGE_ME_PLEASE_0123456789abcdef!!")]
    [InlineData("replace-me-with-a-real-key-0123456789")]
    [InlineData("your-secret-here-your-secret-here-xx")]
    [InlineData("password1234567890password1234567890")]
    public void A_placeholder_is_refused_outside_Development(string value)
    {
        Secrets.Weakness("FlashSale:Auth:SigningKey", value, 32, production: true).Should().Contain("FlashSale:Auth:SigningKey is a placeholder");
        Secrets.Weakness("FlashSale:Auth:SigningKey", value, 32, production: false).Should().BeNull("in Development a long enough value goes");
    }

    [Theory]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("abababababababababababababababab")]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("1111111111111111222222222222222233")]
    public void A_string_of_too_little_variety_is_refused_outside_Development(string value) =>
        Secrets.Weakness("FlashSale:Gateway:TokenSecret", value, 32, production: true).Should().Contain("too little variety");

    [Theory]
    [InlineData("3f1a9c0e5b7d2846", 16)] // openssl rand -hex 8
    [InlineData("9d3b6e1f04a87c25e0b94f6d1a3c7e28b5f0d9a64c1e3b7a2d8f5c06e9b1a4d7", 32)] // openssl rand -hex 32
    [InlineData("q8Zr-T2vLm_9xWc4KpNs7yHd3JfGb6Ea", 32)] // base64url
    [InlineData("test-admin-key-0123456789", 16)] // the tests' own keys: words, but not placeholders
    public void A_random_looking_value_is_taken(string value, int minLength) =>
        Secrets.Weakness("FlashSale:AdminKey", value, minLength, production: true).Should().BeNull();

    [Fact]
    public void Length_is_checked_everywhere() =>
        Secrets.Weakness("FlashSale:AdminKey", "short", 16, production: false).Should().Be("FlashSale:AdminKey must be at least 16 characters.");

    [Fact]
    public void The_payment_and_notification_secrets_obey_the_same_rule()
    {
        const string readme = "change-me-webhook-secret-32-characters";
        new PaymentOptionsValidator(new HostEnvironment(Environments.Production)).Validate(null, new PaymentOptions { WebhookSecret = readme })
            .Failures.Should().ContainSingle().Which.Should().Contain("FlashSale:Payments:WebhookSecret is a placeholder");
        new PaymentOptionsValidator(new HostEnvironment(Environments.Development)).Validate(null, new PaymentOptions { WebhookSecret = readme }).Succeeded.Should().BeTrue();
        new Notifications.NotificationOptions { WebhookUrl = "https://merchant.example.com/hook", WebhookSecret = readme }.Failures(production: true)
            .Should().ContainSingle().Which.Should().Contain("FlashSale:Notifications:WebhookSecret is a placeholder");
    }
}
