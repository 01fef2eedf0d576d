using FlashSale.Core.Purchasing;
using System.Diagnostics;
using FlashSale.Core.Gateway;
using FlashSale.Core.Sales;
using Microsoft.Extensions.Options;

namespace FlashSale.Core.Tests;

public sealed class PurchaseGatewayTests
{
    private static readonly ClientIp Ip = ClientIp.Parse("203.0.113.1");
    private static readonly Sale Sale = new(1, "s", "p", 1m, 100, 1, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), 900);

    private static PurchaseGateway NewGateway(GatewayOptions options, FunnelCounters funnel) => new(Options.Create(options),
        new InMemoryRateWindow(TimeProvider.System), new InMemoryBlacklist(TimeProvider.System), new InMemoryRiskSignals(TimeProvider.System),
        new PurchaseTokens(new byte[32], new ArithmeticCaptcha(), new InMemoryOnceStore(TimeProvider.System), TimeProvider.System), funnel, TimeProvider.System);

    [Fact]
    public async Task The_global_bucket_lets_through_its_burst_plus_what_it_refilled()
    {
        var funnel = new FunnelCounters();
        var gateway = NewGateway(new GatewayOptions { GlobalTokensPerSecond = 5, GlobalBurst = 20, UserRequestsPerWindow = 0, IpRequestsPerWindow = 0 }, funnel);

        var clock = Stopwatch.StartNew();
        var refusals = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            gateway.CheckAsync(Sale, new PurchaseCaller($"u{i}", ClientIp.Parse($"10.0.{i / 250}.{i % 250}"), null, null), "r", null, default).AsTask()));
        var elapsedSeconds = (int)Math.Ceiling(clock.Elapsed.TotalSeconds);

        var passed = refusals.Count(r => r is null);
        passed.Should().BeInRange(20, 20 + 5 * elapsedSeconds);
        refusals.Where(r => r is not null).Should().OnlyContain(r => r!.Code == "throttled" && r.RetryAfter > TimeSpan.Zero);
        var snapshot = funnel.For(Sale.Id).Snapshot();
        snapshot.Arrived[(int)FunnelLayer.GlobalRate].Should().Be(200);
        snapshot.Passed[(int)FunnelLayer.GlobalRate].Should().Be(passed);
        snapshot.Stopped[(FunnelLayer.GlobalRate, "throttled")].Should().Be(200 - passed);
    }

    [Fact]
    public async Task New_accounts_that_hammer_need_a_token_and_worse_is_refused()
    {
        var gateway = NewGateway(new GatewayOptions
        {
            UserRequestsPerWindow = 100,
            Risk = { FrequentRequests = 2, FrequencyWeight = 30, NewAccountWeight = 30, ChallengeScore = 50, RejectScore = 80, DevicesPerUser = 1, DevicesPerUserWeight = 40 },
        }, new FunnelCounters());
        var fresh = DateTimeOffset.UtcNow.AddMinutes(-5);

        (await gateway.CheckAsync(Sale, new("new", Ip, "d1", fresh), "r1", null, default)).Should().BeNull("one request from a new account: score 30");
        (await gateway.CheckAsync(Sale, new("new", Ip, "d1", fresh), "r2", null, default)).Should().BeNull("score 30 still");
        (await gateway.CheckAsync(Sale, new("new", Ip, "d1", fresh), "r3", null, default))!.Code.Should().Be("invalid_token", "frequent + new = 60: a captcha token is needed");
        (await gateway.CheckAsync(Sale, new("new", Ip, "d2", fresh), "r4", null, default))!.Code.Should().Be("risk_rejected", "and a second device: 100");
        (await gateway.CheckAsync(Sale, new("old", ClientIp.Parse("203.0.113.2"), "d1", DateTimeOffset.UtcNow.AddYears(-1)), "r1", null, default)).Should().BeNull();
    }

    [Fact]
    public async Task A_missing_device_id_alone_asks_for_nothing_but_with_a_new_account_asks_for_a_captcha()
    {
        var gateway = NewGateway(new GatewayOptions(), new FunnelCounters()); // the default weights
        var fresh = DateTimeOffset.UtcNow.AddMinutes(-5);
        var old = DateTimeOffset.UtcNow.AddYears(-1);

        (await gateway.CheckAsync(Sale, new("quiet", ClientIp.Parse("203.0.113.21"), null, old), "r1", null, default)).Should().BeNull("no device id alone: 20");
        (await gateway.CheckAsync(Sale, new("newbie", ClientIp.Parse("203.0.113.22"), "d1", fresh), "r1", null, default)).Should().BeNull("a new account with a device id: 30");
        (await gateway.CheckAsync(Sale, new("newcomer", ClientIp.Parse("203.0.113.23"), null, fresh), "r1", null, default))!.Code
            .Should().Be("invalid_token", "a new account without a device id: 50, a captcha");
    }

    [Fact]
    public async Task Challenge_requests_pass_the_blacklist_and_windows_of_their_own()
    {
        var blacklist = new InMemoryBlacklist(TimeProvider.System);
        var gateway = new PurchaseGateway(Options.Create(new GatewayOptions
            {
                UserRequestsPerWindow = 1, ChallengeUserRequestsPerWindow = 2, ChallengeIpRequestsPerWindow = 4, ChallengeWindow = TimeSpan.FromMinutes(1),
                Risk = { Enabled = false },
            }), new InMemoryRateWindow(TimeProvider.System), blacklist, new InMemoryRiskSignals(TimeProvider.System),
            new PurchaseTokens(new byte[32], new ArithmeticCaptcha(), new InMemoryOnceStore(TimeProvider.System), TimeProvider.System), new FunnelCounters(), TimeProvider.System);
        var ann = new PurchaseCaller("ann", ClientIp.Parse("2001:db8:5:6::1"), null, null);
        var bob = new PurchaseCaller("bob", ClientIp.Parse("2001:db8:5:6::2"), null, null);

        (await gateway.CheckChallengeAsync(ann, default)).Should().BeNull();
        (await gateway.CheckChallengeAsync(ann, default)).Should().BeNull();
        var third = await gateway.CheckChallengeAsync(ann, default);
        third!.Code.Should().Be("throttled", "two per user and window");
        third.RetryAfter.Should().BeGreaterThan(TimeSpan.FromSeconds(30), "the minute-long window");
        (await gateway.CheckAsync(Sale, ann, "r1", null, default)).Should().BeNull("asking for captchas leaves the purchase budget alone");
        (await gateway.CheckChallengeAsync(bob, default)).Should().BeNull("bob's own user window; the /64's fourth request (ann's refused one counted at the IP)");
        (await gateway.CheckChallengeAsync(bob, default))!.Code.Should().Be("throttled", "one /64 is one client: four per IP and window");

        await blacklist.AddAsync(new BlacklistEntry(BlacklistKind.User, "cat", null, null), default);
        (await gateway.CheckChallengeAsync(new PurchaseCaller("cat", ClientIp.Parse("198.51.100.9"), null, null), default))!.Code.Should().Be("blacklisted");
        await blacklist.AddAsync(new BlacklistEntry(BlacklistKind.Ip, "198.51.100.0/24", null, null), default);
        (await gateway.CheckChallengeAsync(new PurchaseCaller("dan", ClientIp.Parse("198.51.100.10"), null, null), default))!.Code.Should().Be("blacklisted");
    }
}
