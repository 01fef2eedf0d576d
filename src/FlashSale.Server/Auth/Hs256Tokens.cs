using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FlashSale.Server.Auth;

/// <summary>What a valid user token says: its subject and, when it carries one, when the account was created.</summary>
public readonly record struct TokenClaims(string UserId, string? AccountCreated);

/// <summary>
/// Validation of the user tokens every purchase carries: compact JWS, HS256 only, signature checked in fixed time first,
/// then issuer, audience (one of <c>audiences</c>; a trailing slash on either side ignored, as IdentityModel does), a
/// required <c>exp</c> and an optional <c>nbf</c>, each with <c>clockSkew</c>. The rules are IdentityModel's
/// <c>JsonWebTokenHandler</c>'s with the parameters <see cref="UserTokens"/> used to give it (a test compares the two
/// on every kind of token, good and bad), minus its cost: no claims dictionary, no exceptions, one pooled buffer.
/// Stricter where a token is odd: a <c>crit</c> or <c>enc</c> header, a claim it reads given twice or with the wrong
/// JSON type, or a token over <see cref="MaxTokenLength"/> characters is refused. A token that names
/// <c>refusedAudience</c> among its audiences is refused, whatever else it names.
/// </summary>
public sealed class Hs256Tokens(byte[] key, string issuer, IReadOnlyList<string> audiences, string? refusedAudience, TimeSpan clockSkew, TimeProvider time)
{
    public const int MaxTokenLength = 8 * 1024;
    private const int SignatureBytes = 32;
    private readonly long _skewSeconds = (long)clockSkew.TotalSeconds;
    private readonly byte[] _key = key;
    private readonly byte[] _issuer = Encoding.UTF8.GetBytes(issuer);
    private readonly byte[][] _audiences = [.. audiences.Select(a => Encoding.UTF8.GetBytes(WithoutTrailingSlash(a)))];
    private readonly byte[][] _refused = refusedAudience is null ? [] : [Encoding.UTF8.GetBytes(WithoutTrailingSlash(refusedAudience))];

    /// <summary>The claims of a valid token; false for anything else, never an exception.</summary>
    public bool TryValidate(string token, out TokenClaims claims)
    {
        claims = default;
        if (token.Length is 0 or > MaxTokenLength) return false;
        var firstDot = token.IndexOf('.');
        if (firstDot <= 0) return false;
        var secondDot = token.IndexOf('.', firstDot + 1);
        if (secondDot <= firstDot + 1 || secondDot == token.Length - 1 || token.IndexOf('.', secondDot + 1) >= 0) return false;

        if (!Ascii.IsValid(token)) return false;
        // The first half holds the signed ASCII, the second a decoded segment (never longer than its text).
        var buffer = ArrayPool<byte>.Shared.Rent(token.Length * 2);
        try
        {
            // The signature first, over the ASCII of header.payload: nothing of an unsigned token is read.
            var signed = buffer.AsSpan(0, secondDot);
            Encoding.ASCII.GetBytes(token.AsSpan(0, secondDot), signed);
            Span<byte> given = stackalloc byte[SignatureBytes + 3];
            if (Base64Url.DecodeFromChars(token.AsSpan(secondDot + 1), given, out var read, out var signatureLength) != OperationStatus.Done
                || read != token.Length - secondDot - 1 || signatureLength != SignatureBytes) return false;
            Span<byte> expected = stackalloc byte[SignatureBytes];
            var hmac = Hmac();
            hmac.AppendData(signed);
            hmac.GetHashAndReset(expected);
            if (!CryptographicOperations.FixedTimeEquals(expected, given[..SignatureBytes])) return false;

            var decoded = buffer.AsSpan(token.Length, token.Length);
            if (!TryDecode(token.AsSpan(0, firstDot), decoded, out var header) || !IsHs256Header(header)) return false;
            return TryDecode(token.AsSpan(firstDot + 1, secondDot - firstDot - 1), decoded, out var payload) && TryReadPayload(payload, out claims);
        }
        catch (JsonException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>This thread's HMAC for this key: reset after each use, so the key schedule is not redone per token.</summary>
    private IncrementalHash Hmac()
    {
        if (_hmacOwner != this || _hmac is null)
        {
            _hmac?.Dispose();
            _hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
            _hmacOwner = this;
        }
        return _hmac;
    }

    [ThreadStatic] private static IncrementalHash? _hmac;
    [ThreadStatic] private static Hs256Tokens? _hmacOwner;

    private static string WithoutTrailingSlash(string audience) => audience.EndsWith('/') ? audience[..^1] : audience;

    private static bool TryDecode(ReadOnlySpan<char> segment, Span<byte> into, out ReadOnlySpan<byte> json)
    {
        json = default;
        if (Base64Url.DecodeFromChars(segment, into, out var read, out var written) != OperationStatus.Done || read != segment.Length) return false;
        json = into[..written];
        return true;
    }

    private static bool IsHs256Header(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
        var hs256 = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("alg"u8))
            {
                if (hs256 || !reader.Read() || reader.TokenType != JsonTokenType.String || !reader.ValueTextEquals("HS256"u8)) return false;
                hs256 = true;
            }
            else if (reader.ValueTextEquals("crit"u8) || reader.ValueTextEquals("enc"u8))
            {
                return false;
            }
            else if (!reader.TrySkip())
            {
                return false;
            }
        }
        return hs256 && reader.TokenType == JsonTokenType.EndObject && !reader.Read();
    }

    private bool TryReadPayload(ReadOnlySpan<byte> json, out TokenClaims claims)
    {
        claims = default;
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
        string? sub = null, created = null;
        long? exp = null, nbf = null;
        bool issuerSeen = false, issuerOk = false, audienceSeen = false, audienceOk = false, refused = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("iss"u8))
            {
                if (issuerSeen || !reader.Read() || reader.TokenType != JsonTokenType.String) return false;
                (issuerSeen, issuerOk) = (true, reader.ValueTextEquals(_issuer));
            }
            else if (reader.ValueTextEquals("aud"u8))
            {
                if (audienceSeen || !reader.Read()) return false;
                audienceSeen = true;
                if (reader.TokenType == JsonTokenType.String)
                {
                    audienceOk = IsAmong(ref reader, _audiences);
                    refused = IsAmong(ref reader, _refused);
                }
                else if (reader.TokenType == JsonTokenType.StartArray)
                {
                    while (reader.Read() && reader.TokenType == JsonTokenType.String)
                    {
                        audienceOk |= IsAmong(ref reader, _audiences);
                        refused |= IsAmong(ref reader, _refused);
                    }
                    if (reader.TokenType != JsonTokenType.EndArray) return false;
                }
                else
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("exp"u8))
            {
                if (exp is not null || !TryReadSeconds(ref reader, out var value)) return false;
                exp = value;
            }
            else if (reader.ValueTextEquals("nbf"u8))
            {
                if (nbf is not null || !TryReadSeconds(ref reader, out var value)) return false;
                nbf = value;
            }
            else if (reader.ValueTextEquals("sub"u8))
            {
                if (sub is not null || !reader.Read() || reader.TokenType != JsonTokenType.String) return false;
                sub = reader.GetString();
            }
            else if (reader.ValueTextEquals(CallerExtensions.AccountCreatedClaim))
            {
                if (created is not null || !reader.Read()) return false;
                created = reader.TokenType switch
                {
                    JsonTokenType.String => reader.GetString(),
                    JsonTokenType.Number => Encoding.UTF8.GetString(reader.ValueSpan),
                    _ => null,
                };
                if (created is null) return false;
            }
            else if (!reader.TrySkip())
            {
                return false;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) return false;

        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (!issuerOk || !audienceOk || refused || exp is not { } expires || expires < now - _skewSeconds) return false;
        if (nbf is { } notBefore && (notBefore > now + _skewSeconds || notBefore > expires)) return false;
        if (!UserTokens.IsValidUserId(sub)) return false;
        claims = new TokenClaims(sub!, created);
        return true;
    }

    private static bool IsAmong(ref Utf8JsonReader reader, byte[][] audiences)
    {
        if (audiences.Length == 0) return false;
        var value = reader.HasValueSequence || reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
        if (value.Length > 0 && value[^1] == (byte)'/') value = value[..^1];
        foreach (var audience in audiences)
        {
            if (value.SequenceEqual(audience)) return true;
        }
        return false;
    }

    /// <summary>A NumericDate: whole seconds, or a fraction of them cut off as IdentityModel does.</summary>
    private static bool TryReadSeconds(ref Utf8JsonReader reader, out long seconds)
    {
        seconds = 0;
        if (!reader.Read() || reader.TokenType != JsonTokenType.Number) return false;
        if (reader.TryGetInt64(out seconds)) return true;
        if (!reader.TryGetDouble(out var value) || double.IsNaN(value) || value is > long.MaxValue or < long.MinValue) return false;
        seconds = (long)Math.Truncate(value);
        return true;
    }
}
