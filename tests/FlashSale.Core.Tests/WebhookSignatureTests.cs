using System.Text;
using FlashSale.Core.Payments;

namespace FlashSale.Core.Tests;

public sealed class WebhookSignatureTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("webhook-secret-0123456789abcdef0123456789");
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("""{"paymentId":"p-1","orderId":"42","status":"succeeded","amount":1999.00,"currency":"CNY"}""");

    private readonly WebhookSignature _signature = new(Key);

    [Fact]
    public void A_signature_is_sha256_and_the_lower_case_hex_hmac_of_the_raw_body_and_verifies()
    {
        var header = _signature.Sign(Body);

        header.Should().Be("sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Key, Body)));
        header.Should().HaveLength(WebhookSignature.HeaderLength);
        _signature.Verify(Body, header).Should().Be(SignatureCheck.Valid);
    }

    [Fact]
    public void A_tampered_body_does_not_verify()
    {
        var header = _signature.Sign(Body);
        var tampered = (byte[])Body.Clone();
        tampered[^3] ^= 1;

        _signature.Verify(tampered, header).Should().Be(SignatureCheck.Mismatch);
        _signature.Verify(Body.AsSpan(0, Body.Length - 1), header).Should().Be(SignatureCheck.Mismatch, "a truncated body is another body");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(70)]
    public void A_signature_with_one_hex_digit_changed_does_not_verify(int index)
    {
        var header = _signature.Sign(Body).ToCharArray();
        header[index] = header[index] == '0' ? '1' : '0';

        _signature.Verify(Body, new string(header)).Should().NotBe(SignatureCheck.Valid);
    }

    [Fact]
    public void A_signature_made_with_another_key_does_not_verify()
    {
        var other = new WebhookSignature(Encoding.UTF8.GetBytes("another-secret-0123456789abcdef0123456789"));

        _signature.Verify(Body, other.Sign(Body)).Should().Be(SignatureCheck.Mismatch);
    }

    [Theory]
    [InlineData(null, SignatureCheck.Missing)]
    [InlineData("", SignatureCheck.Missing)]
    [InlineData("sha256=", SignatureCheck.Malformed)]
    [InlineData("sha256=abc", SignatureCheck.Malformed)]
    [InlineData("sha1=0123456789abcdef0123456789abcdef01234567", SignatureCheck.Malformed)]
    public void A_missing_or_malformed_header_is_refused(string? header, SignatureCheck expected) =>
        _signature.Verify(Body, header).Should().Be(expected);

    [Fact]
    public void Only_the_canonical_form_verifies_prefix_length_and_lower_case_hex()
    {
        var header = _signature.Sign(Body);
        var hex = header["sha256=".Length..];

        _signature.Verify(Body, hex).Should().Be(SignatureCheck.Malformed, "the prefix is required");
        _signature.Verify(Body, "SHA256=" + hex).Should().Be(SignatureCheck.Malformed, "the prefix is lower-case");
        _signature.Verify(Body, "sha256=" + hex.ToUpperInvariant()).Should().Be(SignatureCheck.Mismatch, "hex is accepted in lower case only");
        _signature.Verify(Body, header + "0").Should().Be(SignatureCheck.Malformed, "one digit too many");
        _signature.Verify(Body, header[..^1]).Should().Be(SignatureCheck.Malformed, "one digit too few");
        _signature.Verify(Body, " " + header[..^1]).Should().Be(SignatureCheck.Malformed);
        _signature.Verify(Body, header[..^1] + "g").Should().Be(SignatureCheck.Mismatch, "not hex");
    }

    [Fact]
    public void Verifying_allocates_nothing()
    {
        var header = _signature.Sign(Body);
        _signature.Verify(Body, header);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++) _signature.Verify(Body, header);

        (GC.GetAllocatedBytesForCurrentThread() - before).Should().Be(0);
    }

    [Fact]
    public void A_signature_needs_a_key() =>
        FluentActions.Invoking(() => new WebhookSignature([])).Should().Throw<ArgumentException>();
}

public sealed class PaymentWebhookTests
{
    private static readonly WebhookSignature Signature = new(Encoding.UTF8.GetBytes("webhook-secret-0123456789abcdef0123456789"));
    private readonly PaymentWebhook _webhook = new(Signature);

    [Fact]
    public void A_signed_valid_event_is_read_and_an_unsigned_one_is_never_parsed()
    {
        var body = new PaymentEvent("p-1", 42, PaymentOutcome.Succeeded, 10m, "CNY").ToUtf8Json();

        _webhook.Read(body, Signature.Sign(body)).Should().Be(new WebhookRead(WebhookDelivery.Processed, new PaymentEvent("p-1", 42, PaymentOutcome.Succeeded, 10m, "CNY"), null));
        _webhook.Read(body, null).Status.Should().Be(WebhookDelivery.Unauthorized);
        _webhook.Read("not json"u8, null).Status.Should().Be(WebhookDelivery.Unauthorized, "the signature is checked before the body is read");
    }

    [Fact]
    public void A_signed_body_that_is_not_an_event_and_an_oversize_body_are_invalid()
    {
        var bad = """{"paymentId":"p-1","orderId":"42","status":"paid","amount":10,"currency":"CNY"}"""u8.ToArray();
        var huge = new byte[PaymentEvent.MaxBodyBytes + 1];

        _webhook.Read(bad, Signature.Sign(bad)).Should().Be(new WebhookRead(WebhookDelivery.Invalid, null, "status is required: \"succeeded\" or \"failed\"."));
        _webhook.Read(huge, Signature.Sign(huge)).Should().Be(new WebhookRead(WebhookDelivery.Invalid, null, PaymentEvent.OversizeRefusal));
    }
}
