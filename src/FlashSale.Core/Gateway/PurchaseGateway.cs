using System.Threading.RateLimiting;
using FlashSale.Core.Purchasing;
using FlashSale.Core.Sales;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Gateway;

/// <summary>
/// The funnel's first layers, about who is asking (not about stock), cheapest first: the global token bucket
/// (in-process), blacklists (answered from memory), per-IP and per-user sliding windows (shared across
/// processes), risk score, then the purchase token where the sale or the risk score asks for one.
/// Every layer counts what arrived, passed and was stopped. Requests for a captcha pass the blacklist and
/// windows of their own (<see cref="CheckChallengeAsync"/>), the same rules.
/// </summary>
public sealed class PurchaseGateway
{
    public const string Throttled = "throttled";
    public const string Blacklisted = "blacklisted";
    public const string InvalidToken = "invalid_token";
    public const string RiskRejected = "risk_rejected";
    private static readonly PurchaseRefusal BlacklistedRefusal = new(Blacklisted);
    private static readonly PurchaseRefusal InvalidTokenRefusal = new(InvalidToken);
    private static readonly PurchaseRefusal RiskRejectedRefusal = new(RiskRejected);
    private static readonly PurchaseRefusal GloballyThrottled = new(Throttled, TimeSpan.FromSeconds(1));
    private static readonly RateDecision Unlimited = new(true, 0, TimeSpan.Zero);

    private readonly GatewayOptions _options;
    private readonly IRateWindow _windows;
    private readonly IBlacklist _blacklist;
    private readonly IRiskSignals _signals;
    private readonly PurchaseTokens _tokens;
    private readonly FunnelCounters _funnel;
    private readonly TimeProvider _time;
    private readonly TokenBucketRateLimiter? _global;

    public PurchaseGateway(IOptions<GatewayOptions> options, IRateWindow windows, IBlacklist blacklist, IRiskSignals signals,
        PurchaseTokens tokens, FunnelCounters funnel, TimeProvider time)
    {
        _options = options.Value;
        (_windows, _blacklist, _signals, _tokens, _funnel, _time) = (windows, blacklist, signals, tokens, funnel, time);
        if (_options.GlobalTokensPerSecond > 0)
        {
            // Refill ten times a second where the rate allows it, so the bucket never empties and refills in lumps.
            var (perPeriod, period) = _options.GlobalTokensPerSecond >= 10
                ? (_options.GlobalTokensPerSecond / 10, TimeSpan.FromMilliseconds(100))
                : (_options.GlobalTokensPerSecond, TimeSpan.FromSeconds(1));
            _global = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = _options.GlobalBurst > 0 ? _options.GlobalBurst : _options.GlobalTokensPerSecond,
                TokensPerPeriod = perPeriod,
                ReplenishmentPeriod = period,
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }
    }

    public async ValueTask<PurchaseRefusal?> CheckAsync(Sale sale, PurchaseCaller caller, string requestId, string? token, CancellationToken cancellationToken)
    {
        var funnel = _funnel.For(sale.Id);
        var rules = sale.GatewayRules ?? SaleGatewayRules.Default;

        funnel.Arrived(FunnelLayer.GlobalRate);
        if (_global is not null)
        {
            using var lease = _global.AttemptAcquire();
            if (!lease.IsAcquired) return Stop(funnel, FunnelLayer.GlobalRate, GloballyThrottled);
        }
        funnel.Passed(FunnelLayer.GlobalRate);

        funnel.Arrived(FunnelLayer.Blacklist);
        if (IsBlacklisted(caller)) return Stop(funnel, FunnelLayer.Blacklist, BlacklistedRefusal);
        funnel.Passed(FunnelLayer.Blacklist);

        funnel.Arrived(FunnelLayer.IpRate);
        var ip = await HitAsync($"ip:{sale.Id}:{caller.Ip.Key}", rules.IpRequestsPerWindow ?? _options.IpRequestsPerWindow, _options.Window, cancellationToken).ConfigureAwait(false);
        if (!ip.Allowed) return Stop(funnel, FunnelLayer.IpRate, ThrottledFor(ip));
        funnel.Passed(FunnelLayer.IpRate);

        funnel.Arrived(FunnelLayer.UserRate);
        var user = await HitAsync($"user:{sale.Id}:{caller.UserId}", rules.UserRequestsPerWindow ?? _options.UserRequestsPerWindow, _options.Window, cancellationToken).ConfigureAwait(false);
        if (!user.Allowed) return Stop(funnel, FunnelLayer.UserRate, ThrottledFor(user));
        var recentRequests = user.Count;
        funnel.Passed(FunnelLayer.UserRate);

        funnel.Arrived(FunnelLayer.Risk);
        var needsToken = rules.RequireToken;
        if (_options.Risk.Enabled)
        {
            var score = await RiskScoreAsync(sale.Id, caller, recentRequests, cancellationToken).ConfigureAwait(false);
            if (score >= (rules.RiskRejectScore ?? _options.Risk.RejectScore)) return Stop(funnel, FunnelLayer.Risk, RiskRejectedRefusal);
            needsToken |= score >= (rules.RiskChallengeScore ?? _options.Risk.ChallengeScore);
        }
        funnel.Passed(FunnelLayer.Risk);

        funnel.Arrived(FunnelLayer.Token);
        if (needsToken && await _tokens.SpendAsync(token, sale.Id, caller.UserId, requestId, cancellationToken).ConfigureAwait(false) != PurchaseTokens.Verdict.Valid)
        {
            return Stop(funnel, FunnelLayer.Token, InvalidTokenRefusal);
        }
        funnel.Passed(FunnelLayer.Token);
        return null;
    }

    /// <summary>
    /// A request for a captcha challenge or for a purchase token (POST /challenge, /token): the blacklist, then the per-IP
    /// and per-user windows of <see cref="GatewayOptions.ChallengeWindow"/>, keyed apart from the purchase windows so
    /// that asking for a captcha never eats the purchase budget. Not counted in any sale's funnel (no purchase).
    /// </summary>
    public async ValueTask<PurchaseRefusal?> CheckChallengeAsync(PurchaseCaller caller, CancellationToken cancellationToken)
    {
        if (IsBlacklisted(caller)) return BlacklistedRefusal;
        var ip = await HitAsync("challenge-ip:" + caller.Ip.Key, _options.ChallengeIpRequestsPerWindow, _options.ChallengeWindow, cancellationToken).ConfigureAwait(false);
        if (!ip.Allowed) return ThrottledFor(ip);
        var user = await HitAsync("challenge-user:" + caller.UserId, _options.ChallengeUserRequestsPerWindow, _options.ChallengeWindow, cancellationToken).ConfigureAwait(false);
        return user.Allowed ? null : ThrottledFor(user);
    }

    /// <summary>The blacklist rule: the user, the device, or a range holding the client's address.</summary>
    private bool IsBlacklisted(PurchaseCaller caller) =>
        _blacklist.IsBlocked(BlacklistKind.User, caller.UserId) || _blacklist.IsBlocked(caller.Ip) || _blacklist.IsBlocked(BlacklistKind.Device, caller.DeviceId);

    /// <summary>The sliding-window rule: a hit on the key unless the limit is off (0), which lets everything through uncounted.</summary>
    private ValueTask<RateDecision> HitAsync(string key, int limit, TimeSpan window, CancellationToken cancellationToken) =>
        limit > 0 ? _windows.TryHitAsync(key, limit, window, cancellationToken) : ValueTask.FromResult(Unlimited);

    private static PurchaseRefusal ThrottledFor(RateDecision refused) => new(Throttled, refused.RetryAfter);

    /// <summary>The risk score: each signal past its bar adds its weight.</summary>
    private async ValueTask<int> RiskScoreAsync(long saleId, PurchaseCaller caller, long recentRequests, CancellationToken cancellationToken)
    {
        var risk = _options.Risk;
        var score = 0;
        if (recentRequests > risk.FrequentRequests) score += risk.FrequencyWeight;
        if (caller.AccountCreated is { } created && _time.GetUtcNow() - created < risk.NewAccountAge) score += risk.NewAccountWeight;
        if (caller.DeviceId is null) score += risk.MissingDeviceWeight;
        // Signals are counted per sale: a sale's crowd is what a farm hides in.
        var (devices, users) = await _signals.RecordAsync($"{saleId}:{caller.UserId}", $"{saleId}:{caller.Ip.Key}", caller.DeviceId, risk.SignalWindow, cancellationToken).ConfigureAwait(false);
        if (devices > risk.DevicesPerUser) score += risk.DevicesPerUserWeight;
        if (users > risk.UsersPerIp) score += risk.UsersPerIpWeight;
        return score;
    }

    private static PurchaseRefusal Stop(FunnelCounters.SaleFunnel funnel, FunnelLayer layer, PurchaseRefusal refusal)
    {
        funnel.Stopped(layer, refusal.Code);
        return refusal;
    }
}
