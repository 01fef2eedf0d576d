using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using FlashSale.Server.Hosting;

namespace FlashSale.Server.Auth;

/// <summary>
/// The admin key check. The given key and the configured one are compared as SHA-256 digests in constant time, so
/// neither the key's length nor a matching prefix shows in the time of an answer. Wrong keys are counted per client
/// address: after <see cref="FailuresPerWindow"/> in <see cref="Window"/> that address is refused (429) before its key
/// is even looked at, a right key included, until the window has passed, so guessing is slow and a throttled guesser
/// cannot tell a right guess from a wrong one. The count is per process (each API process throttles on its own), and
/// it keeps at most <see cref="MaxTracked"/> addresses.
/// </summary>
public sealed class AdminGuard(IOptions<FlashSaleOptions> options, TimeProvider time)
{
    public const int FailuresPerWindow = 10, MaxTracked = 10_000;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    public enum Verdict { Admin, Missing, Wrong, Throttled }

    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.AdminKey!));
    private readonly ConcurrentDictionary<string, Failures> _failures = new(StringComparer.Ordinal);

    /// <summary>Checks the request's X-Admin-Key; a wrong key counts against the caller's address.</summary>
    public Verdict Check(HttpContext context, out TimeSpan retryAfter)
    {
        retryAfter = default;
        var given = context.Request.Headers[Apis.AdminApi.AdminKeyHeader];
        if (given.Count == 0 || given.ToString().Length == 0) return Verdict.Missing;
        var address = context.Connection.RemoteIpAddress is { } ip ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString() : "unknown";
        var now = time.GetUtcNow();
        if (_failures.TryGetValue(address, out var failures) && failures.Count >= FailuresPerWindow && now < failures.Since + Window)
        {
            retryAfter = failures.Since + Window - now;
            return Verdict.Throttled;
        }
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(given.ToString()), digest);
        if (CryptographicOperations.FixedTimeEquals(digest, _expected)) return Verdict.Admin;
        Fail(address, now);
        return Verdict.Wrong;
    }

    /// <summary>Whether the request carries the right admin key (a read that shows more to an admin); counts a wrong one.</summary>
    public bool IsAdmin(HttpContext context) => Check(context, out _) == Verdict.Admin;

    private void Fail(string address, DateTimeOffset now)
    {
        _failures.AddOrUpdate(address, static (_, now) => new Failures(now, 1),
            static (_, old, now) => now >= old.Since + Window ? new Failures(now, 1) : old with { Count = old.Count + 1 }, now);
        if (_failures.Count <= MaxTracked) return;
        // Over the cap: forget the windows that have passed, then, if a flood of addresses keeps it full, the oldest.
        foreach (var (key, value) in _failures)
        {
            if (now >= value.Since + Window) _failures.TryRemove(key, out _);
        }
        if (_failures.Count <= MaxTracked) return;
        foreach (var (key, _) in _failures.OrderBy(f => f.Value.Since).Take(_failures.Count - MaxTracked * 3 / 4).ToList()) _failures.TryRemove(key, out _);
    }

    private sealed record Failures(DateTimeOffset Since, int Count);
}
