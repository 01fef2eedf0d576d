using System.ComponentModel.DataAnnotations;
using System.Text;
using FlashSale.Core.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Payments;

/// <summary>
/// Payments (FlashSale:Payments). <see cref="WebhookSecret"/> is required outside Development; in Development the
/// server may leave it unset and generate one at start (as it does for the gateway's token secret). A secret that
/// is set is at least 32 characters everywhere. Which environment applies comes from the validation context's
/// <see cref="IHostEnvironment"/> (<see cref="PaymentOptionsValidator"/> supplies it); without one, the strict rule holds.
/// </summary>
public sealed class PaymentOptions : IValidatableObject
{
    public const string Section = "FlashSale:Payments";
    public const int MinWebhookSecretLength = 32;

    /// <summary>Keys the HMAC-SHA256 of <c>X-FlashSale-Signature</c> (<see cref="WebhookSignature"/>); shared with the provider.</summary>
    public string? WebhookSecret { get; set; }

    /// <summary>The ISO 4217 code every payment is made and checked in.</summary>
    [Required(ErrorMessage = "FlashSale:Payments:Currency is required.")]
    [RegularExpression("^[A-Z]{3}$", ErrorMessage = "FlashSale:Payments:Currency must be an ISO 4217 code of three capital letters, such as CNY.")]
    public string Currency { get; set; } = "CNY";

    /// <summary>The provider <c>POST /api/orders/{orderId}/pay</c> uses when the body names none (<see cref="IPaymentProvider.Name"/>).</summary>
    [Required(ErrorMessage = "FlashSale:Payments:Provider is required.")]
    [RegularExpression("^[a-z0-9_-]{1,32}$", ErrorMessage = "FlashSale:Payments:Provider must be a provider name: 1 to 32 characters of a-z, 0-9, '_' and '-'.")]
    public string Provider { get; set; } = SandboxPaymentProvider.ProviderName;

    /// <summary>How often the payment timeout looks for pending orders past their deadline: an unpaid order is cancelled
    /// at most this long (plus one batch) after its deadline.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00", ErrorMessage = "FlashSale:Payments:TimeoutSweepInterval must be between 50 ms and 1 minute.")]
    public TimeSpan TimeoutSweepInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Orders cancelled per statement by the payment timeout.</summary>
    [Range(1, 10_000, ErrorMessage = "FlashSale:Payments:TimeoutBatchSize must be between 1 and 10000.")]
    public int TimeoutBatchSize { get; set; } = 500;

    /// <summary>How often the refund worker asks the provider to give back payments owed back; doubled while it fails, up to a minute.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00", ErrorMessage = "FlashSale:Payments:RefundInterval must be between 50 ms and 10 minutes.")]
    public TimeSpan RefundInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The webhook key as the bytes the signature is computed with (UTF-8 of <see cref="WebhookSecret"/>).</summary>
    public byte[] WebhookKey() => Encoding.UTF8.GetBytes(WebhookSecret ?? throw new InvalidOperationException("FlashSale:Payments:WebhookSecret is not set."));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var development = validationContext.GetService(typeof(IHostEnvironment)) is IHostEnvironment environment && environment.IsDevelopment();
        if (string.IsNullOrEmpty(WebhookSecret))
        {
            if (!development)
            {
                yield return new ValidationResult(
                    "FlashSale:Payments:WebhookSecret is required outside Development; set it in configuration or the environment (FlashSale__Payments__WebhookSecret).",
                    [nameof(WebhookSecret)]);
            }
        }
        else if (Secrets.Weakness("FlashSale:Payments:WebhookSecret", WebhookSecret, MinWebhookSecretLength, production: !development) is { } weakness)
        {
            yield return new ValidationResult(weakness, [nameof(WebhookSecret)]);
        }
    }
}

/// <summary>Checks <see cref="PaymentOptions"/> (data annotations and <see cref="PaymentOptions.Validate"/>) knowing the host's environment.</summary>
public sealed class PaymentOptionsValidator(IHostEnvironment environment) : IValidateOptions<PaymentOptions>
{
    public ValidateOptionsResult Validate(string? name, PaymentOptions options)
    {
        var results = new List<ValidationResult>();
        var context = new ValidationContext(options, new EnvironmentServices(environment), items: null);
        return Validator.TryValidateObject(options, context, results, validateAllProperties: true)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(results.Select(result => result.ErrorMessage ?? "FlashSale:Payments is invalid."));
    }

    private sealed class EnvironmentServices(IHostEnvironment environment) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(IHostEnvironment) ? environment : null;
    }
}
