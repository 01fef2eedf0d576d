using System.Security.Cryptography;
using System.Text;
using FlashSale.Server.Auth;
using FlashSale.Server.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace FlashSale.Api.Tests;

/// <summary>
/// The purchase path's token validation (<see cref="Hs256Tokens"/> behind <see cref="UserTokens.TryValidate"/>) against the
/// reference it replaced: IdentityModel's <c>JsonWebTokenHandler</c> with the same parameters plus the dev-audience and
/// user-id rules. On every token below both must agree on accept or refuse, and on the user id; the few tokens where the
/// fast path is deliberately stricter are listed apart.
/// </summary>
public sealed class TokenValidationTests
{
    private const string Key = "token-test-signing-key-0123456789abcdef0123";
    private const string Issuer = "flashsale";
    private const string Audience = "shop";
    private static readonly JsonWebTokenHandler Reference = new() { MapInboundClaims = false };

    private static UserTokens Tokens(bool devTokens) => new(MsOptions.Create(new FlashSaleOptions
    {
        Auth = new AuthOptions { SigningKey = Key, Issuer = Issuer, Audience = Audience, DevTokens = devTokens },
    }), TimeProvider.System);

    private static string? ReferenceUserId(UserTokens tokens, bool devTokens, string token)
    {
        var result = Reference.ValidateTokenAsync(token, tokens.ReferenceValidation).GetAwaiter().GetResult();
        if (!result.IsValid) return null;
        if (!devTokens && result.ClaimsIdentity.HasClaim(JwtRegisteredClaimNames.Aud, UserTokens.DevAudience)) return null;
        var sub = result.ClaimsIdentity.FindFirst(JwtRegisteredClaimNames.Sub)?.Value;
        return UserTokens.IsValidUserId(sub) ? sub : null;
    }

    private static string B64(string json) => Base64UrlEncoder.Encode(json);

    private static string Sign(string header, string payload, string key = Key)
    {
        var signed = B64(header) + "." + B64(payload);
        return signed + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.ASCII.GetBytes(signed)));
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static string Payload(string? sub = "alice", object? aud = null, string? iss = Issuer, long? exp = 0, long? nbf = null, string extra = "")
    {
        var parts = new List<string>();
        if (sub is not null) parts.Add($"\"sub\":\"{sub}\"");
        aud ??= Audience;
        parts.Add(aud switch
        {
            string one => $"\"aud\":\"{one}\"",
            string[] many => $"\"aud\":[{string.Join(",", many.Select(a => $"\"{a}\""))}]",
            _ => "\"aud\":" + aud,
        });
        if (iss is not null) parts.Add($"\"iss\":\"{iss}\"");
        if (exp is not null) parts.Add($"\"exp\":{(exp == 0 ? Now + 3600 : exp)}");
        if (nbf is not null) parts.Add($"\"nbf\":{nbf}");
        if (extra.Length > 0) parts.Add(extra);
        return "{" + string.Join(",", parts) + "}";
    }

    private const string Hs256 = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

    /// <summary>Tokens both validators must judge alike.</summary>
    public static TheoryData<string, string> Agreed()
    {
        var good = Sign(Hs256, Payload());
        var data = new TheoryData<string, string>
        {
            { "valid", good },
            { "valid, no typ", Sign("{\"alg\":\"HS256\"}", Payload()) },
            { "valid, kid and other header fields", Sign("{\"alg\":\"HS256\",\"kid\":\"k1\",\"x\":[1,{\"y\":2}]}", Payload()) },
            { "valid, unknown claims of every JSON type", Sign(Hs256, Payload(extra: "\"x\":{\"a\":[1,2,{\"b\":null}]},\"y\":true,\"z\":1.5,\"iat\":1")) },
            { "valid, audience array with ours", Sign(Hs256, Payload(aud: new[] { "other", Audience })) },
            { "valid, audience with a trailing slash", Sign(Hs256, Payload(aud: Audience + "/")) },
            { "valid, nbf in the past", Sign(Hs256, Payload(nbf: Now - 60)) },
            { "valid, nbf within the skew", Sign(Hs256, Payload(nbf: Now + 10)) },
            { "valid, expired within the skew", Sign(Hs256, Payload(exp: Now - 10)) },
            { "valid, non-ASCII user id", Sign(Hs256, Payload(sub: "买家-7")) },
            { "valid, escaped characters in the audience", Sign(Hs256, Payload(aud: "\\u0073hop")) },
            { "valid, account_created as a number", Sign(Hs256, Payload(extra: "\"account_created\":1700000000")) },
            { "expired", Sign(Hs256, Payload(exp: Now - 120)) },
            { "no exp", Sign(Hs256, Payload(exp: null)) },
            { "nbf in the future", Sign(Hs256, Payload(nbf: Now + 300)) },
            { "nbf after exp (both within the skew)", Sign(Hs256, Payload(exp: Now - 10, nbf: Now + 5)) },
            { "another issuer", Sign(Hs256, Payload(iss: "someone")) },
            { "no issuer", Sign(Hs256, Payload(iss: null)) },
            { "another audience", Sign(Hs256, Payload(aud: "another-service")) },
            { "no audience of ours in an array", Sign(Hs256, Payload(aud: new[] { "a", "b" })) },
            { "empty audience array", Sign(Hs256, Payload(aud: Array.Empty<string>())) },
            { "dev audience", Sign(Hs256, Payload(aud: UserTokens.DevAudience)) },
            { "dev audience beside ours", Sign(Hs256, Payload(aud: new[] { Audience, UserTokens.DevAudience })) },
            { "no subject", Sign(Hs256, Payload(sub: null)) },
            { "empty subject", Sign(Hs256, Payload(sub: "")) },
            { "subject with a control character", Sign(Hs256, Payload(sub: "a\\u0000b")) },
            { "subject too long", Sign(Hs256, Payload(sub: new string('u', UserTokens.MaxUserIdLength + 1))) },
            { "wrong key", Sign(Hs256, Payload(), key: Key + "x") },
            { "alg none, no signature", B64("{\"alg\":\"none\"}") + "." + B64(Payload()) + "." },
            { "alg none, signature kept", B64("{\"alg\":\"none\"}") + "." + B64(Payload()) + "." + good.Split('.')[2] },
            { "alg HS384", Sign("{\"alg\":\"HS384\"}", Payload()) },
            { "alg RS256", Sign("{\"alg\":\"RS256\"}", Payload()) },
            { "no alg", Sign("{\"typ\":\"JWT\"}", Payload()) },
            { "payload changed after signing", good.Split('.')[0] + "." + B64(Payload(sub: "mallory")) + "." + good.Split('.')[2] },
            { "header changed after signing", B64("{\"alg\":\"HS256\",\"typ\":\"jwt\"}") + "." + good.Split('.')[1] + "." + good.Split('.')[2] },
            { "signature cut short", good[..^2] },
            { "signature one bit off", good[..^1] + (good[^1] == 'A' ? 'B' : 'A') },
            { "signature missing", good[..(good.LastIndexOf('.') + 1)] },
            { "two segments", good[..good.LastIndexOf('.')] },
            { "four segments", good + ".e30" },
            { "five segments (JWE shape)", good + ".e30.e30" },
            { "empty", "" },
            { "dots only", ".." },
            { "not base64", "***.***.***" },
            { "payload not JSON", Sign(Hs256, "not json") },
            { "payload a JSON array", Sign(Hs256, "[1,2]") },
            { "header not JSON", Sign("nope", Payload()) },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Agreed))]
    public void The_fast_path_judges_a_token_as_IdentityModel_does(string kind, string token)
    {
        foreach (var devTokens in new[] { false, true })
        {
            var tokens = Tokens(devTokens);
            var expected = ReferenceUserId(tokens, devTokens, token);
            var accepted = tokens.TryValidate(token, out var claims);

            accepted.Should().Be(expected is not null, $"{kind} (dev tokens {(devTokens ? "on" : "off")}): IdentityModel {(expected is null ? "refuses" : "accepts")} it");
            if (accepted) claims.UserId.Should().Be(expected, kind);
        }
    }

    [Fact]
    public void The_account_created_claim_is_read_as_a_number_or_a_string()
    {
        var tokens = Tokens(devTokens: false);
        tokens.TryValidate(Sign(Hs256, Payload(extra: "\"account_created\":1700000000")), out var number).Should().BeTrue();
        number.AccountCreated.Should().Be("1700000000");
        tokens.TryValidate(Sign(Hs256, Payload(extra: "\"account_created\":\"1700000001\"")), out var text).Should().BeTrue();
        text.AccountCreated.Should().Be("1700000001");
        tokens.TryValidate(Sign(Hs256, Payload()), out var none).Should().BeTrue();
        none.AccountCreated.Should().BeNull();
    }

    /// <summary>Odd tokens the fast path refuses though IdentityModel would take them: nothing this server issues looks like them.</summary>
    [Theory]
    [InlineData("a crit header", "{\"alg\":\"HS256\",\"crit\":[\"x\"],\"x\":1}", null)]
    [InlineData("the subject twice", null, "{\"sub\":\"alice\",\"sub\":\"bob\",\"aud\":\"shop\",\"iss\":\"flashsale\",\"exp\":EXP}")]
    [InlineData("a numeric subject", null, "{\"sub\":12345,\"aud\":\"shop\",\"iss\":\"flashsale\",\"exp\":EXP}")]
    [InlineData("exp as a string", null, "{\"sub\":\"alice\",\"aud\":\"shop\",\"iss\":\"flashsale\",\"exp\":\"EXP\"}")]
    public void Odd_tokens_are_refused(string kind, string? header, string? payload)
    {
        var token = Sign(header ?? Hs256, payload?.Replace("EXP", (Now + 3600).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) ?? Payload());
        var tokens = Tokens(devTokens: true);
        ReferenceUserId(tokens, devTokens: true, token).Should().NotBeNull($"IdentityModel takes {kind}");
        tokens.TryValidate(token, out _).Should().BeFalse(kind);
    }

    [Fact]
    public void A_token_over_the_length_limit_is_refused()
    {
        var padding = "\"pad\":\"" + new string('p', Hs256Tokens.MaxTokenLength) + "\"";
        Tokens(devTokens: false).TryValidate(Sign(Hs256, Payload(extra: padding)), out _).Should().BeFalse();
        Tokens(devTokens: false).TryValidate(Sign(Hs256, Payload(extra: "\"pad\":\"" + new string('p', 4000) + "\"")), out var claims).Should().BeTrue("a long token within the limit is fine");
        claims.UserId.Should().Be("alice");
    }
}
