using System.Diagnostics.CodeAnalysis;

namespace FlashSale.Core.Purchasing;

/// <summary>
/// The one rule for identifiers a caller chooses: whatever the gate accepts, every store downstream (Redis,
/// RabbitMQ, PostgreSQL, SQLite) can write unchanged. A NUL, a control character or a lone surrogate would be
/// taken by one and refused (or silently altered) by another: a 202 with no order.
/// </summary>
public static class Identifiers
{
    public const int MaxRequestIdLength = 64;
    public const int MaxDeviceIdLength = 128;
    public const int MaxUserIdLength = 64;
    public const int MaxPaymentIdLength = 128;
    public const int MaxIdempotencyKeyLength = 144;

    public const string RequestIdRule = "requestId is required: 1 to 64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'.";
    public const string DeviceIdRule = "X-Device-Id is 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'.";
    public const string PaymentIdRule = "paymentId is required: 1 to 128 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'.";
    public const string UserIdRule = "userId is required: at most 64 characters, not blank, without control characters or unpaired surrogates.";

    /// <summary>A purchase's idempotency key: <c>[A-Za-z0-9._:-]{1,64}</c>.</summary>
    public static bool IsValidRequestId([NotNullWhen(true)] string? value) => IsSafeToken(value, MaxRequestIdLength);

    /// <summary>A device id header: <c>[A-Za-z0-9._:-]{1,128}</c>.</summary>
    public static bool IsValidDeviceId([NotNullWhen(true)] string? value) => IsSafeToken(value, MaxDeviceIdLength);

    /// <summary>A payment id a provider chose (and the idempotency keys derived from one): <c>[A-Za-z0-9._:-]{1,128}</c>.</summary>
    public static bool IsValidPaymentId([NotNullWhen(true)] string? value) => IsSafeToken(value, MaxPaymentIdLength);

    /// <summary>A key that makes a call to a payment provider idempotent (it may embed a payment id): <c>[A-Za-z0-9._:-]{1,144}</c>.</summary>
    public static bool IsValidIdempotencyKey([NotNullWhen(true)] string? value) => IsSafeToken(value, MaxIdempotencyKeyLength);

    /// <summary>A user id (a token's subject): any script (张三, Zoë), but no control characters and well-formed UTF-16.</summary>
    public static bool IsValidUserId([NotNullWhen(true)] string? value) => IsStorableText(value, MaxUserIdLength);

    /// <summary>
    /// Free text every store keeps unchanged (a sale's name, a blacklist reason): not blank, at most
    /// <paramref name="maxLength"/> UTF-16 units, any script, but no control characters (NUL, newlines, DEL) and no
    /// unpaired surrogates.
    /// </summary>
    public static bool IsStorableText([NotNullWhen(true)] string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > maxLength) return false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsControl(c)) return false;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) { i++; continue; }
            if (char.IsSurrogate(c)) return false;
        }
        return true;
    }

    private static bool IsSafeToken([NotNullWhen(true)] string? value, int maxLength)
    {
        if (string.IsNullOrEmpty(value) || value.Length > maxLength) return false;
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-')) return false;
        }
        return true;
    }
}
