using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FlashSale.Core.Payments;

public enum SignatureCheck
{
    Valid,

    /// <summary>No header, or an empty one.</summary>
    Missing,

    /// <summary>Not <c>sha256=</c> followed by 64 characters.</summary>
    Malformed,

    /// <summary>Well-formed, but not the HMAC of this body under this key (wrong key, tampered body or signature, upper-case hex).</summary>
    Mismatch,
}

/// <summary>
/// <c>X-FlashSale-Signature: sha256=&lt;hex&gt;</c>: the HMAC-SHA256 of the raw body bytes under the webhook secret.
/// One canonical form is accepted: the prefix <c>sha256=</c> and 64 <b>lower-case</b> hex digits, exactly what
/// <see cref="Sign"/> writes; upper-case or mixed-case hex, a different prefix case, and surrounding spaces are
/// refused (a mismatch or malformed, never a second spelling of the same MAC). Verifying allocates nothing: the
/// expected value is computed on the stack and compared with <see cref="CryptographicOperations.FixedTimeEquals"/>,
/// so the time taken does not tell how many leading characters were right.
/// </summary>
public sealed class WebhookSignature
{
    public const string HeaderName = "X-FlashSale-Signature";
    public const string Prefix = "sha256=";

    private const int MacBytes = HMACSHA256.HashSizeInBytes;
    private const int HexLength = MacBytes * 2;

    /// <summary>The header's length: <c>sha256=</c> and 64 hex digits.</summary>
    public const int HeaderLength = 7 + HexLength;

    private readonly byte[] _key;

    public WebhookSignature(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty) throw new ArgumentException("A webhook signature needs a key.", nameof(key));
        _key = key.ToArray();
    }

    public static WebhookSignature For(PaymentOptions options) => new(options.WebhookKey());

    /// <summary>The header value for <paramref name="body"/>: <c>sha256=</c> and the lower-case hex HMAC.</summary>
    public string Sign(ReadOnlySpan<byte> body)
    {
        Span<char> header = stackalloc char[HeaderLength];
        Prefix.CopyTo(header);
        Hex(body, header[Prefix.Length..]);
        return new string(header);
    }

    public SignatureCheck Verify(ReadOnlySpan<byte> body, string? header) =>
        header is null ? SignatureCheck.Missing : Verify(body, header.AsSpan());

    public SignatureCheck Verify(ReadOnlySpan<byte> body, ReadOnlySpan<char> header)
    {
        if (header.IsEmpty) return SignatureCheck.Missing;
        if (header.Length != HeaderLength || !header.StartsWith(Prefix, StringComparison.Ordinal)) return SignatureCheck.Malformed;
        Span<char> expected = stackalloc char[HexLength];
        Hex(body, expected);
        return CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(expected), MemoryMarshal.AsBytes(header[Prefix.Length..]))
            ? SignatureCheck.Valid
            : SignatureCheck.Mismatch;
    }

    private void Hex(ReadOnlySpan<byte> body, Span<char> destination)
    {
        Span<byte> mac = stackalloc byte[MacBytes];
        HMACSHA256.HashData(_key, body, mac);
        if (!Convert.TryToHexStringLower(mac, destination, out var written) || written != HexLength)
        {
            throw new InvalidOperationException("The HMAC did not fit its hex form.");
        }
    }
}
