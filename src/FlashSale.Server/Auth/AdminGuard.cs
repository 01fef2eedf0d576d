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
    private readonly ConcurrentDictionary<string, Attempts> _attempts = new(StringComparer.Ordinal);
    private int _trimming;

    /// <summary>
    /// Checks the request's X-Admin-Key; a wrong key counts against the caller's address. Each attempt takes its place
    /// in the count before its key is compared and gives it back when the key was right, so concurrent guesses from one
    /// address cannot all slip in before the first of them is counted.
    /// </summary>
    public Verdict Check(HttpContext context, out TimeSpan retryAfter) =>
        Check(context, context.Request.Headers[Apis.AdminApi.AdminKeyHeader].ToString(), out retryAfter);

    /// <summary>The same check for a key the caller found elsewhere (the metrics scrape's <c>Authorization: Bearer</c>).</summary>
    public Verdict Check(HttpContext context, string given, out TimeSpan retryAfter)
    {
        retryAfter = default;
        if (given.Length == 0) return Verdict.Missing;
        var address = context.ClientIp().Key; // the client as the gateway counts it: an IPv6 one is its /64
        var now = time.GetUtcNow();
        var attempts = _attempts.GetOrAdd(address, static _ => new Attempts());
        lock (attempts)
        {
            if (now >= attempts.Since + Window) (attempts.Since, attempts.Count) = (now, 0);
            if (attempts.Count >= FailuresPerWindow)
            {
                retryAfter = attempts.Since + Window - now;
                return Verdict.Throttled;
            }
            attempts.Count++;
        }
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(given), digest);
        if (CryptographicOperations.FixedTimeEquals(digest, _expected))
        {
            lock (attempts) attempts.Count = Math.Max(0, attempts.Count - 1);
            return Verdict.Admin;
        }
        if (_attempts.Count > MaxTracked) Trim(now);
        return Verdict.Wrong;
    }

    /// <summary>Whether the request carries the right admin key (a read that shows more to an admin); counts a wrong one.</summary>
    public bool IsAdmin(HttpContext context) => Check(context, out _) == Verdict.Admin;

    /// <summary>Over the cap, one thread at a time: forget the windows that have passed, then, if a flood of addresses keeps it full, the oldest.</summary>
    private void Trim(DateTimeOffset now)
    {
        if (Interlocked.Exchange(ref _trimming, 1) == 1) return;
        try
        {
            foreach (var (key, value) in _attempts)
            {
                if (now >= value.Since + Window) _attempts.TryRemove(key, out _);
            }
            if (_attempts.Count <= MaxTracked) return;
            foreach (var (key, _) in _attempts.OrderBy(a => a.Value.Since).Take(_attempts.Count - MaxTracked * 3 / 4).ToList()) _attempts.TryRemove(key, out _);
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }

    /// <summary>An address's attempts in its current window (guarded by its own lock).</summary>
    private sealed class Attempts
    {
        public DateTimeOffset Since { get; set; } = DateTimeOffset.MinValue;
        public int Count { get; set; }
    }
}
