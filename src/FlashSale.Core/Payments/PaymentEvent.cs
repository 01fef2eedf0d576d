using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FlashSale.Core.Purchasing;

namespace FlashSale.Core.Payments;

public enum PaymentOutcome { Succeeded, Failed }

/// <summary>
/// What a provider says happened to a payment: the webhook body
/// <c>{"paymentId":"…","orderId":"…","status":"succeeded"|"failed","amount":1999.00,"currency":"CNY"}</c>.
/// The order id is a string (ids are rendered as strings: a JavaScript number loses Snowflake ids); the amount
/// a JSON number (a string is refused).
/// </summary>
public sealed record PaymentEvent(string PaymentId, long OrderId, PaymentOutcome Status, decimal Amount, string Currency)
{
    /// <summary>The largest body read; a longer one is refused unread (the event is about 150 bytes).</summary>
    public const int MaxBodyBytes = 4096;

    /// <summary>The refusal of a body longer than <see cref="MaxBodyBytes"/>.</summary>
    public const string OversizeRefusal = "The body is larger than 4096 bytes.";

    public const string SucceededStatus = "succeeded";
    public const string FailedStatus = "failed";

    private const string OrderIdRule = "orderId is required: a positive 64-bit integer as a string of digits, without sign or leading zeros.";
    private const string StatusRule = "status is required: \"succeeded\" or \"failed\".";
    private const string AmountRule = "amount is required: a JSON number, not negative.";
    private const string CurrencyRule = "currency is required: an ISO 4217 code of three capital letters.";

    /// <summary>Whether the event charged exactly <paramref name="amount"/> (price × quantity) in <paramref name="currency"/> (decimal equality: 1999 = 1999.00).</summary>
    public bool Charges(decimal amount, string currency) => Amount == amount && string.Equals(Currency, currency, StringComparison.Ordinal);

    /// <summary>The body as a provider sends it (UTF-8 JSON); what is signed is exactly these bytes.</summary>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(
        new PaymentEventBody
        {
            PaymentId = PaymentId,
            OrderId = OrderId.ToString(CultureInfo.InvariantCulture),
            Status = Status == PaymentOutcome.Succeeded ? SucceededStatus : FailedStatus,
            Amount = Amount,
            Currency = Currency,
        },
        PaymentEventJsonContext.Default.PaymentEventBody);

    /// <summary>
    /// Reads a webhook body strictly: every field present and well-formed, no other field, no field twice. Never
    /// throws: whatever is wrong comes back as <paramref name="refusal"/>, one sentence naming the field and its rule.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> body, [NotNullWhen(true)] out PaymentEvent? paymentEvent, [NotNullWhen(false)] out string? refusal)
    {
        paymentEvent = null;
        if (body.Length > MaxBodyBytes) return Refuse(OversizeRefusal, out refusal);
        PaymentEventBody? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body, PaymentEventJsonContext.Default.PaymentEventBody);
        }
        catch (JsonException exception)
        {
            return Refuse(exception.Path switch
            {
                "$.paymentId" => Identifiers.PaymentIdRule,
                "$.orderId" => OrderIdRule,
                "$.status" => StatusRule,
                "$.amount" => AmountRule,
                "$.currency" => CurrencyRule,
                _ => "The body is not a JSON object of exactly paymentId, orderId, status, amount and currency, each once.",
            }, out refusal);
        }
        if (parsed is null) return Refuse("The body is not a JSON object of exactly paymentId, orderId, status, amount and currency, each once.", out refusal);
        if (!Identifiers.IsValidPaymentId(parsed.PaymentId)) return Refuse(Identifiers.PaymentIdRule, out refusal);
        if (!TryParseOrderId(parsed.OrderId, out var orderId)) return Refuse(OrderIdRule, out refusal);
        PaymentOutcome status;
        switch (parsed.Status)
        {
            case SucceededStatus: status = PaymentOutcome.Succeeded; break;
            case FailedStatus: status = PaymentOutcome.Failed; break;
            default: return Refuse(StatusRule, out refusal);
        }
        if (parsed.Amount is not { } amount || amount < 0) return Refuse(AmountRule, out refusal);
        if (!IsCurrencyCode(parsed.Currency)) return Refuse(CurrencyRule, out refusal);
        paymentEvent = new PaymentEvent(parsed.PaymentId, orderId, status, amount, parsed.Currency);
        refusal = null;
        return true;
    }

    /// <summary>Three capital ASCII letters (ISO 4217's form).</summary>
    public static bool IsCurrencyCode([NotNullWhen(true)] string? value) => value is { Length: 3 } && value.All(char.IsAsciiLetterUpper);

    private static bool TryParseOrderId(string? value, out long orderId)
    {
        orderId = 0;
        return value is { Length: > 0 and <= 19 } && value[0] != '0'
            && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out orderId) && orderId > 0;
    }

    private static bool Refuse(string reason, out string refusal)
    {
        refusal = reason;
        return false;
    }
}

/// <summary>The webhook body as JSON carries it; <see cref="PaymentEvent.TryParse"/> checks each field.</summary>
internal sealed class PaymentEventBody
{
    public string? PaymentId { get; set; }
    public string? OrderId { get; set; }
    public string? Status { get; set; }
    public decimal? Amount { get; set; }
    public string? Currency { get; set; }
}

/// <summary>Strict on purpose (not the Web defaults): names are camelCase and case-sensitive, numbers are JSON numbers,
/// an unknown or repeated property is refused.</summary>
[JsonSerializable(typeof(PaymentEventBody))]
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.Strict,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false)]
internal sealed partial class PaymentEventJsonContext : JsonSerializerContext;
