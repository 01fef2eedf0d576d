using FlashSale.Core.Gateway;
using FlashSale.Core.Purchasing;

namespace FlashSale.Server.Apis;

/// <summary>Admin: blocked users, IPs and devices (X-Device-Id), optionally until a time.</summary>
public static class BlacklistApi
{
    private const int MaxValueLength = 128, MaxReasonLength = 200;

    internal static async Task<Ok<IReadOnlyList<BlacklistEntryResponse>>> ListAsync(IBlacklist blacklist, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<BlacklistEntryResponse>>((await blacklist.ListAsync(cancellationToken)).Select(BlacklistEntryResponse.From).ToArray());

    internal static async Task<Results<Created<BlacklistEntryResponse>, ProblemResult>> AddAsync(HttpContext context, IBlacklist blacklist, TimeProvider time)
    {
        var (body, problem) = await JsonBody.ReadAsync(context.Request, BlacklistJson.Default.BlacklistRequest);
        if (problem is not null) return problem;
        if (!TryParseKind(body!.Kind, out var kind)) return Problems.InvalidRequest("kind must be user, ip or device.");
        // Only what the server could have seen is worth blocking, and only what every store keeps unchanged is stored.
        var rule = kind switch
        {
            BlacklistKind.User => Identifiers.IsValidUserId(body.Value) ? null : Identifiers.UserIdRule,
            BlacklistKind.Device => Identifiers.IsValidDeviceId(body.Value) ? null : Identifiers.DeviceIdRule,
            _ => Identifiers.IsStorableText(body.Value, MaxValueLength) ? null : $"value is at most {MaxValueLength} characters, without control characters.",
        };
        if (rule is not null || body.Value is null) return Problems.InvalidRequest(rule ?? "value is required.");
        if (body.Reason is not null && !Identifiers.IsStorableText(body.Reason, MaxReasonLength))
            return Problems.InvalidRequest($"reason is at most {MaxReasonLength} characters, not blank, without control characters or unpaired surrogates.");
        if (body.TtlSeconds is <= 0) return Problems.InvalidRequest("ttlSeconds must be positive.");
        var expires = body.TtlSeconds is { } ttl ? time.GetUtcNow().AddSeconds(ttl) : body.ExpiresAt;
        if (expires <= time.GetUtcNow()) return Problems.InvalidRequest("expiresAt must be in the future.");
        var entry = new BlacklistEntry(kind, body.Value, expires, body.Reason);
        await blacklist.AddAsync(entry, context.RequestAborted);
        return TypedResults.Created($"/api/admin/blacklist/{body.Kind}/{Uri.EscapeDataString(body.Value)}", BlacklistEntryResponse.From(entry));
    }

    internal static async Task<Results<NoContent, ProblemResult>> RemoveAsync(string kind, string value, IBlacklist blacklist, CancellationToken cancellationToken)
    {
        if (!TryParseKind(kind, out var parsed)) return Problems.InvalidRequest("kind must be user, ip or device.");
        return await blacklist.RemoveAsync(parsed, value, cancellationToken)
            ? TypedResults.NoContent()
            : new ProblemResult(404, "not_found", "Not found", "No such blacklist entry.");
    }

    private static bool TryParseKind(string? kind, out BlacklistKind parsed) =>
        Enum.TryParse(kind, ignoreCase: true, out parsed) && Enum.IsDefined(parsed) && !int.TryParse(kind, out _);
}

public sealed record BlacklistRequest(string? Kind, string? Value, DateTimeOffset? ExpiresAt, int? TtlSeconds, string? Reason);

public sealed record BlacklistEntryResponse(string Kind, string Value, DateTimeOffset? ExpiresAt, string? Reason)
{
    public static BlacklistEntryResponse From(FlashSale.Core.Gateway.BlacklistEntry e) => new(e.Kind.ToString().ToLowerInvariant(), e.Value, e.ExpiresAt, e.Reason);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BlacklistRequest))]
[JsonSerializable(typeof(BlacklistEntryResponse))]
[JsonSerializable(typeof(IReadOnlyList<BlacklistEntryResponse>))]
public sealed partial class BlacklistJson : JsonSerializerContext;
