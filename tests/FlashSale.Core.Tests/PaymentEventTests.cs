using System.Text;
using FlashSale.Core.Payments;

namespace FlashSale.Core.Tests;

public sealed class PaymentEventTests
{
    private const string Valid = """{"paymentId":"sandbox_pay_1.a:b-c","orderId":"117860321883848704","status":"succeeded","amount":1999.00,"currency":"CNY"}""";

    private static bool Parse(string json, out PaymentEvent? paymentEvent, out string? refusal) =>
        PaymentEvent.TryParse(Encoding.UTF8.GetBytes(json), out paymentEvent, out refusal);

    [Fact]
    public void A_valid_body_is_read_field_by_field()
    {
        Parse(Valid, out var paymentEvent, out var refusal).Should().BeTrue(refusal);

        paymentEvent.Should().Be(new PaymentEvent("sandbox_pay_1.a:b-c", 117860321883848704, PaymentOutcome.Succeeded, 1999m, "CNY"));
        paymentEvent!.Charges(1999, "CNY").Should().BeTrue("1999.00 is 1999");
        paymentEvent.Charges(1998.99m, "CNY").Should().BeFalse();
        paymentEvent.Charges(1999, "USD").Should().BeFalse();
    }

    [Fact]
    public void An_event_written_by_ToUtf8Json_reads_back_the_same()
    {
        var original = new PaymentEvent("p-9", 7, PaymentOutcome.Failed, 0.5m, "USD");

        PaymentEvent.TryParse(original.ToUtf8Json(), out var read, out _).Should().BeTrue();

        read.Should().Be(original);
        Encoding.UTF8.GetString(original.ToUtf8Json()).Should().Be("""{"paymentId":"p-9","orderId":"7","status":"failed","amount":0.5,"currency":"USD"}""");
    }

    [Theory]
    [InlineData("\"status\":\"succeeded\"", "\"status\":\"refunded\"", "status")]
    [InlineData("\"status\":\"succeeded\"", "\"status\":\"Succeeded\"", "status")]
    [InlineData("\"status\":\"succeeded\"", "\"status\":1", "status")]
    [InlineData("\"status\":\"succeeded\",", "", "status")]
    [InlineData("\"amount\":1999.00", "\"amount\":\"1999.00\"", "amount")]
    [InlineData("\"amount\":1999.00", "\"amount\":\"abc\"", "amount")]
    [InlineData("\"amount\":1999.00", "\"amount\":-1", "amount")]
    [InlineData("\"amount\":1999.00", "\"amount\":1e400", "amount")]
    [InlineData("\"amount\":1999.00", "\"amount\":null", "amount")]
    [InlineData("\"amount\":1999.00,", "", "amount")]
    [InlineData("\"orderId\":\"117860321883848704\"", "\"orderId\":117860321883848704", "orderId")]
    [InlineData("\"orderId\":\"117860321883848704\"", "\"orderId\":\"0\"", "orderId")]
    [InlineData("\"orderId\":\"117860321883848704\"", "\"orderId\":\"-5\"", "orderId")]
    [InlineData("\"orderId\":\"117860321883848704\"", "\"orderId\":\"+5\"", "orderId")]
    [InlineData("\"orderId\":\"117860321883848704\"", "\"orderId\":\"05\"", "orderId")]
    [InlineData("\"orderId\":\"117860321883848704\"", "\"orderId\":\" 5\"", "orderId")]
    [InlineData("\"orderId\":\"117860321883848704\"", "\"orderId\":\"9223372036854775808\"", "orderId")]
    [InlineData("\"orderId\":\"117860321883848704\"", "\"orderId\":\"12a\"", "orderId")]
    [InlineData("\"orderId\":\"117860321883848704\",", "", "orderId")]
    [InlineData("\"paymentId\":\"sandbox_pay_1.a:b-c\"", "\"paymentId\":\"\"", "paymentId")]
    [InlineData("\"paymentId\":\"sandbox_pay_1.a:b-c\"", "\"paymentId\":\"a\\u0000b\"", "paymentId")]
    [InlineData("\"paymentId\":\"sandbox_pay_1.a:b-c\"", "\"paymentId\":\"a b\"", "paymentId")]
    [InlineData("\"paymentId\":\"sandbox_pay_1.a:b-c\"", "\"paymentId\":\"张三\"", "paymentId")]
    [InlineData("\"paymentId\":\"sandbox_pay_1.a:b-c\"", "\"paymentId\":42", "paymentId")]
    [InlineData("\"paymentId\":\"sandbox_pay_1.a:b-c\",", "", "paymentId")]
    [InlineData("\"currency\":\"CNY\"", "\"currency\":\"cny\"", "currency")]
    [InlineData("\"currency\":\"CNY\"", "\"currency\":\"YUAN\"", "currency")]
    [InlineData(",\"currency\":\"CNY\"", "", "currency")]
    public void A_bad_field_is_refused_with_its_rule(string field, string replacement, string named)
    {
        Valid.Should().Contain(field);

        Parse(Valid.Replace(field, replacement, StringComparison.Ordinal), out var paymentEvent, out var refusal).Should().BeFalse();

        paymentEvent.Should().BeNull();
        refusal.Should().StartWith(named + " is required");
    }

    [Fact]
    public void A_payment_id_of_128_characters_is_taken_and_of_129_refused()
    {
        Parse(Valid.Replace("sandbox_pay_1.a:b-c", new string('p', 128), StringComparison.Ordinal), out _, out _).Should().BeTrue();
        Parse(Valid.Replace("sandbox_pay_1.a:b-c", new string('p', 129), StringComparison.Ordinal), out _, out var refusal).Should().BeFalse();
        refusal.Should().StartWith("paymentId");
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("""{"paymentId":"p","orderId":"1","status":"succeeded","amount":1,"currency":"CNY","extra":true}""")]
    [InlineData("""{"paymentId":"p","orderId":"1","status":"succeeded","amount":1,"amount":2,"currency":"CNY"}""")]
    [InlineData("""{"PaymentId":"p","orderId":"1","status":"succeeded","amount":1,"currency":"CNY"}""")]
    public void A_body_that_is_not_exactly_the_event_object_is_refused(string json)
    {
        Parse(json, out var paymentEvent, out var refusal).Should().BeFalse();

        paymentEvent.Should().BeNull();
        refusal.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void An_oversize_body_is_refused_unread()
    {
        var padded = Valid.Replace("\"paymentId\"", new string(' ', PaymentEvent.MaxBodyBytes) + "\"paymentId\"", StringComparison.Ordinal);

        Parse(padded, out _, out var refusal).Should().BeFalse();

        refusal.Should().Contain("larger than 4096 bytes");
    }
}
