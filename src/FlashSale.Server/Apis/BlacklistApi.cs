using System.ComponentModel.DataAnnotations;
using FlashSale.Core.Gateway;
using FlashSale.Core.Purchasing;

namespace FlashSale.Server.Apis;

/// <summary>Admin: blocked users, IPs or ranges of them, and devices (X-Device-Id), optionally until a time.</summary>
public static class BlacklistApi
{
    private const int MaxReasonLength = 200;
    private static readonly ProblemResult UnknownKind = Problems.InvalidRequest("kind must be user, ip or device.");
    private static readonly ProblemResult EntryNotFound = new(404, "not_found", "Not found", "No such blacklist entry.");

    internal static readonly ProblemResult[] RemoveProblems = [UnknownKind, EntryNotFound, Problems.Unavailable];

    internal static async Task<Ok<IReadOnlyList<BlacklistEntryResponse>>> ListAsync(IBlacklist blacklist, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<BlacklistEntryResponse>>((await blacklist.ListAsync(cancellationToken)).Select(BlacklistEntryResponse.From).ToArray());

    internal static async Task<Results<Created<BlacklistEntryResponse>, ProblemResult>> AddAsync(HttpContext context, IBlacklist blacklist, TimeProvider time)
    {
        var (body, problem) = await JsonBody.ReadAsync(context.Request, BlacklistJson.Default.BlacklistRequest);
        if (problem is not null) return problem;
        if (!TryParseKind(body!.Kind, out var kind)) return UnknownKind;
        // Only what the server could have seen is worth blocking, and only what every store keeps unchanged is stored.
        var rule = kind switch
        {
            BlacklistKind.User => Identifiers.IsValidUserId(body.Value) ? null : Identifiers.UserIdRule,
            BlacklistKind.Device => Identifiers.IsValidDeviceId(body.Value) ? null : Identifiers.DeviceIdRule,
            _ => IpRange.TryParse(body.Value, out _) ? null : IpValueRule,
        };
        if (rule is not null || body.Value is null) return Problems.InvalidRequest(rule ?? "value is required.");
        if (body.Reason is not null && !Identifiers.IsStorableText(body.Reason, MaxReasonLength))
            return Problems.InvalidRequest($"reason is at most {MaxReasonLength} characters, not blank, without control characters or unpaired surrogates.");
        if (body.TtlSeconds is <= 0) return Problems.InvalidRequest("ttlSeconds must be positive.");
        var expires = body.TtlSeconds is { } ttl ? time.GetUtcNow().AddSeconds(ttl) : body.ExpiresAt;
        if (expires <= time.GetUtcNow()) return Problems.InvalidRequest("expiresAt must be in the future.");
        // An ip entry is stored as the range it names: one spelling per range.
        var value = kind == BlacklistKind.Ip && IpRange.TryParse(body.Value, out var range) ? range.ToString() : body.Value;
        var entry = new BlacklistEntry(kind, value, expires, body.Reason);
        await blacklist.AddAsync(entry, context.RequestAborted);
        return TypedResults.Created($"/api/admin/blacklist/{kind.ToString().ToLowerInvariant()}/{Uri.EscapeDataString(value)}", BlacklistEntryResponse.From(entry));
    }

    /// <summary>An ip entry is named by any spelling of its range (<c>203.0.113.0%2F24</c> in the path; a slash cannot be one).</summary>
    internal static async Task<Results<NoContent, ProblemResult>> RemoveAsync(string kind, string value, IBlacklist blacklist, CancellationToken cancellationToken)
    {
        if (!TryParseKind(kind, out var parsed)) return UnknownKind;
        var removed = parsed == BlacklistKind.Ip && IpRange.TryParse(value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase), out var range)
            && await blacklist.RemoveAsync(parsed, range.ToString(), cancellationToken);
        // An entry stored before ip values were checked is removed by its value as written.
        removed = removed || await blacklist.RemoveAsync(parsed, value, cancellationToken);
        return removed ? TypedResults.NoContent() : EntryNotFound;
    }

    private const string IpValueRule =
        "value of an ip entry is an IPv4 or IPv6 address or a CIDR range, e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::/48 (IPv6 clients are told apart by their /64).";

    private static bool TryParseKind(string? kind, out BlacklistKind parsed) =>
        Enum.TryParse(kind, ignoreCase: true, out parsed) && Enum.IsDefined(parsed) && !int.TryParse(kind, out _);
}

/// <param name="Kind"><c>user</c>, <c>ip</c> or <c>device</c>.</param>
/// <param name="Value">The user id, the IP address or CIDR range, or the device id (X-Device-Id).</param>
/// <param name="TtlSeconds">Blocked for this long; or until <paramref name="ExpiresAt"/>; neither: until removed.</param>
public sealed record BlacklistRequest([property: Required] string? Kind, [property: Required] string? Value, DateTimeOffset? ExpiresAt, int? TtlSeconds, string? Reason);

public sealed record BlacklistEntryResponse(string Kind, string Value, DateTimeOffset? ExpiresAt, string? Reason)
{
    public static BlacklistEntryResponse From(FlashSale.Core.Gateway.BlacklistEntry e) => new(e.Kind.ToString().ToLowerInvariant(), e.Value, e.ExpiresAt, e.Reason);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BlacklistRequest))]
[JsonSerializable(typeof(BlacklistEntryResponse))]
[JsonSerializable(typeof(IReadOnlyList<BlacklistEntryResponse>))]
public sealed partial class BlacklistJson : JsonSerializerContext;
