using System.Threading.RateLimiting;
using FlashSale.Core.Sales;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Gateway;

/// <summary>Who is buying, as the gateway sees it.</summary>
/// <param name="AccountCreated">From the token's <c>account_created</c> claim, when the identity provider sets it.</param>
public readonly record struct PurchaseCaller(string UserId, string Ip, string? DeviceId, DateTimeOffset? AccountCreated);

/// <summary>Why the gateway stopped a purchase: a problem code and, for throttling, when to come back.</summary>
public sealed record GatewayRefusal(string Code, TimeSpan? RetryAfter = null);

/// <summary>
/// The layers in front of the stock gate (seeds 000, 001, 004), cheapest first: the global token bucket
/// (in-process), blacklists (answered from memory), per-IP and per-user sliding windows (shared across
/// processes), risk score, then the purchase token where the sale or the risk score asks for one.
/// Every layer counts what arrived, passed and was stopped.
/// </summary>
public sealed class PurchaseGateway
{
    public const string Throttled = "throttled";
    public const string Blacklisted = "blacklisted";
    public const string InvalidToken = "invalid_token";
    public const string RiskRejected = "risk_rejected";

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

    public async ValueTask<GatewayRefusal?> CheckAsync(Sale sale, PurchaseCaller caller, string requestId, string? token, CancellationToken cancellationToken)
    {
        var funnel = _funnel.For(sale.Id);
        var guard = sale.Guard;

        funnel.Arrived(FunnelLayer.GlobalRate);
        if (_global is not null)
        {
            using var lease = _global.AttemptAcquire();
            if (!lease.IsAcquired) return Stop(funnel, FunnelLayer.GlobalRate, new GatewayRefusal(Throttled, TimeSpan.FromSeconds(1)));
        }
        funnel.Passed(FunnelLayer.GlobalRate);

        funnel.Arrived(FunnelLayer.Blacklist);
        if (_blacklist.IsBlocked(BlacklistKind.User, caller.UserId) || _blacklist.IsBlocked(BlacklistKind.Ip, caller.Ip)
            || _blacklist.IsBlocked(BlacklistKind.Device, caller.DeviceId))
        {
            return Stop(funnel, FunnelLayer.Blacklist, new GatewayRefusal(Blacklisted));
        }
        funnel.Passed(FunnelLayer.Blacklist);

        funnel.Arrived(FunnelLayer.IpRate);
        var ipLimit = guard.IpRequestsPerSecond ?? _options.IpRequestsPerWindow;
        if (ipLimit > 0)
        {
            var ip = await _windows.TryHitAsync($"ip:{sale.Id}:{caller.Ip}", ipLimit, _options.Window, cancellationToken).ConfigureAwait(false);
            if (!ip.Allowed) return Stop(funnel, FunnelLayer.IpRate, new GatewayRefusal(Throttled, ip.RetryAfter));
        }
        funnel.Passed(FunnelLayer.IpRate);

        funnel.Arrived(FunnelLayer.UserRate);
        var userLimit = guard.UserRequestsPerSecond ?? _options.UserRequestsPerWindow;
        long recentRequests = 0;
        if (userLimit > 0)
        {
            var user = await _windows.TryHitAsync($"user:{sale.Id}:{caller.UserId}", userLimit, _options.Window, cancellationToken).ConfigureAwait(false);
            if (!user.Allowed) return Stop(funnel, FunnelLayer.UserRate, new GatewayRefusal(Throttled, user.RetryAfter));
            recentRequests = user.Count;
        }
        funnel.Passed(FunnelLayer.UserRate);

        funnel.Arrived(FunnelLayer.Risk);
        var needsToken = guard.RequireToken;
        if (_options.Risk.Enabled)
        {
            var score = await RiskScoreAsync(sale.Id, caller, recentRequests, cancellationToken).ConfigureAwait(false);
            if (score >= (guard.RiskRejectScore ?? _options.Risk.RejectScore)) return Stop(funnel, FunnelLayer.Risk, new GatewayRefusal(RiskRejected));
            needsToken |= score >= (guard.RiskChallengeScore ?? _options.Risk.ChallengeScore);
        }
        funnel.Passed(FunnelLayer.Risk);

        funnel.Arrived(FunnelLayer.Token);
        if (needsToken && await _tokens.SpendAsync(token, sale.Id, caller.UserId, requestId, cancellationToken).ConfigureAwait(false) != PurchaseTokens.Verdict.Valid)
        {
            return Stop(funnel, FunnelLayer.Token, new GatewayRefusal(InvalidToken));
        }
        funnel.Passed(FunnelLayer.Token);
        return null;
    }

    /// <summary>Seed 004's score: each signal past its bar adds its weight.</summary>
    private async ValueTask<int> RiskScoreAsync(long saleId, PurchaseCaller caller, long recentRequests, CancellationToken cancellationToken)
    {
        var risk = _options.Risk;
        var score = 0;
        if (recentRequests > risk.FrequentRequests) score += risk.FrequencyWeight;
        if (caller.AccountCreated is { } created && _time.GetUtcNow() - created < risk.NewAccountAge) score += risk.NewAccountWeight;
        // Signals are counted per sale: a sale's crowd is what a farm hides in.
        var (devices, users) = await _signals.RecordAsync($"{saleId}:{caller.UserId}", $"{saleId}:{caller.Ip}", caller.DeviceId, risk.SignalWindow, cancellationToken).ConfigureAwait(false);
        if (devices > risk.DevicesPerUser) score += risk.DevicesPerUserWeight;
        if (users > risk.UsersPerIp) score += risk.UsersPerIpWeight;
        return score;
    }

    private static GatewayRefusal Stop(FunnelCounters.SaleFunnel funnel, FunnelLayer layer, GatewayRefusal refusal)
    {
        funnel.Stopped(layer, refusal.Code);
        return refusal;
    }
}
