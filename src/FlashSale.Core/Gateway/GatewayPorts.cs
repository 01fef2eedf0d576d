using FlashSale.Core.Purchasing;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Core.Gateway;

// The gateway's shared state, one port each: in memory for embedded mode, in Redis for distributed
// mode, so that limits, used tokens, blacklists and risk signals hold across API processes.

/// <summary>An exact sliding-window counter: at most <c>limit</c> hits per key in any window.</summary>
public interface IRateWindow
{
    /// <summary>Counts a hit unless the key already has <paramref name="limit"/> in the window.</summary>
    ValueTask<RateDecision> TryHitAsync(string key, int limit, TimeSpan window, CancellationToken cancellationToken);
}

/// <param name="Count">Hits in the window including this one when allowed.</param>
/// <param name="RetryAfter">When refused: until the oldest hit leaves the window.</param>
public readonly record struct RateDecision(bool Allowed, long Count, TimeSpan RetryAfter);

/// <summary>Single-use keys: the first owner to use a key keeps it until it expires; the same owner may use it again.</summary>
public interface IOnceStore
{
    ValueTask<bool> TryUseAsync(string key, string owner, TimeSpan lifetime, CancellationToken cancellationToken);
}

public enum BlacklistKind { User, Ip, Device }

public sealed record BlacklistEntry(BlacklistKind Kind, string Value, DateTimeOffset? ExpiresAt, string? Reason);

/// <summary>
/// Blocked users, IPs and devices. An ip entry's value is an address or a CIDR range (<see cref="IpRange"/>) and blocks
/// every client in it. The checks are answered from memory without allocating (hot path).
/// </summary>
public interface IBlacklist
{
    /// <summary>A user or a device by its exact value; for <see cref="BlacklistKind.Ip"/>, the address the value is.</summary>
    bool IsBlocked(BlacklistKind kind, string? value);

    /// <summary>Whether an ip entry's range holds the client's address.</summary>
    bool IsBlocked(ClientIp ip);

    Task AddAsync(BlacklistEntry entry, CancellationToken cancellationToken);
    Task<bool> RemoveAsync(BlacklistKind kind, string value, CancellationToken cancellationToken);
    Task<IReadOnlyList<BlacklistEntry>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>Seed 004's cross-request signals: distinct devices per user and distinct users per IP, recently.</summary>
public interface IRiskSignals
{
    ValueTask<(long DevicesForUser, long UsersForIp)> RecordAsync(string userId, string ip, string? deviceId, TimeSpan window, CancellationToken cancellationToken);
}

public static class GatewayStateRegistration
{
    /// <summary>The gateway's state, one implementation per port: in memory (embedded) or shared through a server (distributed).</summary>
    public static IServiceCollection AddGatewayState<TRateWindow, TOnceStore, TRiskSignals, TBlacklist, TFunnelStore>(this IServiceCollection services)
        where TRateWindow : class, IRateWindow
        where TOnceStore : class, IOnceStore
        where TRiskSignals : class, IRiskSignals
        where TBlacklist : class, IBlacklist
        where TFunnelStore : class, IFunnelStore
    {
        services.AddSingleton<IRateWindow, TRateWindow>();
        services.AddSingleton<IOnceStore, TOnceStore>();
        services.AddSingleton<IRiskSignals, TRiskSignals>();
        services.AddSingleton<TBlacklist>();
        services.AddSingleton<IBlacklist>(sp => sp.GetRequiredService<TBlacklist>());
        services.AddSingleton<IFunnelStore, TFunnelStore>();
        return services;
    }
}
