using System.Text;
using FlashSale.Server.Tests.Infrastructure;

namespace FlashSale.Server.Tests;

/// <summary>
/// The gateway layers (rate limits, blacklist, risk, purchase tokens) in distributed mode, over two API
/// processes that must agree, and the funnel counters that account for every request.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class GatewayTests() : ServerProcessTest(new ServerProcess("api,worker", Settings), new ServerProcess("api", Settings))
{
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["FlashSale__Gateway__UserRequestsPerWindow"] = "10",
        ["FlashSale__Gateway__IpRequestsPerWindow"] = "20",
        ["FlashSale__Gateway__Window"] = "00:00:10", // long enough that a test's burst falls inside one window
        ["FlashSale__Gateway__TokenLifetime"] = "00:00:02",
        ["FlashSale__Gateway__Risk__UsersPerIp"] = "20",
        ["FlashSale__Gateway__Risk__UsersPerIpWeight"] = "80",
        ["FlashSale__Gateway__Risk__FrequentRequests"] = "1000",
    };

    [Fact]
    public async Task The_per_user_limit_holds_across_two_api_processes()
    {
        var saleId = await Clients[0].CreateSaleAsync(stock: 1_000, perUserLimit: 1_000);
        var token = await Clients[0].TokenAsync("eager");

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Clients[i % 2].PurchaseAsync(saleId, token, 1, $"r{i}", clientIp: $"203.0.113.{i + 1}")));

        answers.Count(a => a.Status == 202).Should().Be(10, "exactly the limit passes, whichever process is asked");
        answers.Where(a => a.Status != 202).Should().HaveCount(6).And.OnlyContain(a => a.Status == 429 && a.Code == "throttled" && a.RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task The_per_ip_limit_holds_across_two_api_processes()
    {
        var saleId = await Clients[0].CreateSaleAsync(stock: 1_000, perUserLimit: 1, gatewayRules: new { riskRejectScore = 1_000, riskChallengeScore = 1_000 });
        var tokens = await Crowd.SignInAsync(Clients[0], 26, "same-ip");

        var answers = await Task.WhenAll(tokens.Select((t, i) => Clients[i % 2].PurchaseAsync(saleId, t, 1, "r", clientIp: "203.0.113.200")));

        answers.Count(a => a.Status == 202).Should().Be(20);
        answers.Where(a => a.Status != 202).Should().OnlyContain(a => a.Status == 429 && a.Code == "throttled");
    }

    [Fact]
    public async Task Bots_are_stopped_at_their_layer_while_honest_users_buy_and_the_funnel_adds_up()
    {
        // The per-IP window is opened wide for this sale so that the farm below meets the risk layer (the per-IP
        // limit has its own test).
        var saleId = await Clients[0].CreateSaleAsync(stock: 100, perUserLimit: 1, gatewayRules: new { requireToken = true, ipRequestsPerWindow = 1_000 });
        var otherSale = await Clients[0].CreateSaleAsync(stock: 100, perUserLimit: 1, gatewayRules: new { requireToken = true });
        var expected = new Dictionary<string, int>();
        void Expect(PurchaseAnswer a, int status, string? code)
        {
            a.Status.Should().Be(status, code);
            if (code is not null) a.Code.Should().Be(code);
            var key = code ?? "accepted";
            expected[key] = expected.GetValueOrDefault(key) + 1;
        }

        // A purchase without a token, and with guessed and tampered ones.
        var mallory = await Clients[0].TokenAsync("mallory");
        Expect(await Clients[0].PurchaseAsync(saleId, mallory, 1, "m1", clientIp: "203.0.113.10"), 403, "invalid_token");
        Expect(await Clients[1].PurchaseAsync(saleId, mallory, 1, "m2", "guessed-token", clientIp: "203.0.113.10"), 403, "invalid_token");
        var real = await Captcha.PurchaseTokenAsync(Clients[0], saleId, mallory);
        var tampered = real[..^3] + (real[^3] == 'A' ? "BBB" : "AAA");
        Expect(await Clients[1].PurchaseAsync(saleId, mallory, 1, "m3", tampered, clientIp: "203.0.113.10"), 403, "invalid_token");
        // A token for another sale, and one for another user.
        var forOtherSale = await Captcha.PurchaseTokenAsync(Clients[0], otherSale, mallory);
        Expect(await Clients[0].PurchaseAsync(saleId, mallory, 1, "m4", forOtherSale, clientIp: "203.0.113.10"), 403, "invalid_token");
        var trent = await Clients[0].TokenAsync("trent");
        Expect(await Clients[1].PurchaseAsync(saleId, trent, 1, "t1", real, clientIp: "203.0.113.11"), 403, "invalid_token");
        // The real token buys once; a script reusing it with a new requestId is stopped, on either process.
        Expect(await Clients[0].PurchaseAsync(saleId, mallory, 1, "m5", real, clientIp: "203.0.113.10"), 202, null);
        (await Clients[0].PurchaseAsync(saleId, mallory, 1, "m5", real, clientIp: "203.0.113.10")).Status.Should().Be(202, "a retry of the same requestId may reuse its token");
        expected["accepted"]++;
        Expect(await Clients[1].PurchaseAsync(saleId, mallory, 1, "m6", real, clientIp: "203.0.113.10"), 403, "invalid_token");
        // An expired token (they live two seconds here).
        var stale = await Captcha.PurchaseTokenAsync(Clients[0], saleId, trent);
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Expect(await Clients[0].PurchaseAsync(saleId, trent, 1, "t2", stale, clientIp: "203.0.113.11"), 403, "invalid_token");

        // One user hammering: 1,000 requests in about a second; the per-user window (10) stops the rest.
        var hammer = await Clients[0].TokenAsync("hammer");
        var hammerToken = await Captcha.PurchaseTokenAsync(Clients[0], saleId, hammer);
        var hits = await Task.WhenAll(Enumerable.Range(0, 1_000).Select(i => Clients[i % 2].PurchaseAsync(saleId, hammer, 1, $"h{i}", hammerToken, clientIp: "203.0.113.12")));
        hits.Count(a => a.Status == 429 && a.Code == "throttled").Should().BeGreaterThanOrEqualTo(990);
        foreach (var a in hits) Expect(a, a.Status, a.Code);

        // 50 accounts from one IP: past 20 users on an address the risk score refuses them.
        var farm = await Crowd.SignInAsync(Clients[0], 50, "farm");
        var farmed = new List<PurchaseAnswer>();
        foreach (var (t, i) in farm.Select((t, i) => (t, i))) farmed.Add(await Clients[i % 2].PurchaseAsync(saleId, t, 1, "f", "no-token", clientIp: "203.0.113.66"));
        farmed.Take(20).Should().OnlyContain(a => a.Code == "invalid_token", "the first twenty are not suspicious yet, but have no token");
        farmed.Skip(20).Should().OnlyContain(a => a.Status == 403 && a.Code == "risk_rejected");
        foreach (var a in farmed) Expect(a, a.Status, a.Code);

        // A blacklisted device, added through one process and enforced by the other.
        var blocked = await Clients[0].PostAsync("api/admin/blacklist", new { kind = "device", value = "bot-device-1", ttlSeconds = 60 }, adminKey: TestServices.AdminKey);
        blocked.Status.Should().Be(201);
        var eve = await Clients[0].TokenAsync("eve");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var eveAnswer = await Clients[1].PurchaseAsync(saleId, eve, 1, "e1", clientIp: "203.0.113.13", deviceId: "bot-device-1");
        Expect(eveAnswer, 403, "blacklisted");

        // Meanwhile honest users, each with their own address and a token from a captcha, buy.
        var honest = await Crowd.SignInAsync(Clients[0], 20, "honest");
        for (var i = 0; i < honest.Length; i++)
        {
            var token = await Captcha.PurchaseTokenAsync(Clients[i % 2], saleId, honest[i]);
            Expect(await Clients[(i + 1) % 2].PurchaseAsync(saleId, honest[i], 1, "h", token, clientIp: $"198.51.100.{i + 1}"), 202, null);
        }

        // The funnel, summed over both processes, accounts for every request exactly.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var (status, funnel) = await Clients[0].GetAsync($"api/admin/sales/{saleId}/funnel", null);
        status.Should().Be(401, "admin only");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/admin/sales/{saleId}/funnel");
        request.Headers.Add("X-Admin-Key", TestServices.AdminKey);
        var json = System.Text.Json.Nodes.JsonNode.Parse(await (await Clients[1].Http.SendAsync(request)).Content.ReadAsStringAsync())!;
        var layers = json["layers"]!.AsArray().Select(l => l!).ToList();
        layers.Select(l => l["layer"]!.GetValue<string>()).Should().Equal("global_rate", "blacklist", "ip_rate", "user_rate", "risk", "token", "sale_state", "admission", "gate");
        foreach (var layer in layers)
        {
            layer["arrived"]!.GetValue<long>().Should().Be(layer["passed"]!.GetValue<long>() + layer["stopped"]!.GetValue<long>(), layer["layer"]!.GetValue<string>());
        }
        for (var i = 1; i < layers.Count; i++) layers[i]["arrived"]!.GetValue<long>().Should().Be(layers[i - 1]["passed"]!.GetValue<long>());
        layers[0]["arrived"]!.GetValue<long>().Should().Be(expected.Values.Sum(), "every purchase that reached the gateway is counted once");
        layers.Single(l => (string)l!["layer"]! == "gate")["passed"]!.GetValue<long>().Should().Be(expected["accepted"]);
        var stoppedBy = layers.SelectMany(l => l["stoppedBy"]!.AsObject().Select(kv => (Layer: (string)l["layer"]!, Code: kv.Key, Count: kv.Value!.GetValue<long>()))).ToList();
        stoppedBy.Where(s => s.Code == "throttled").Should().OnlyContain(s => s.Layer == "user_rate");
        stoppedBy.Where(s => s.Code == "throttled").Sum(s => s.Count).Should().Be(expected["throttled"]);
        stoppedBy.Should().ContainSingle(s => s.Code == "invalid_token").Which.Should().Be(("token", "invalid_token", (long)expected["invalid_token"]));
        stoppedBy.Should().ContainSingle(s => s.Code == "risk_rejected").Which.Should().Be(("risk", "risk_rejected", 30L));
        stoppedBy.Should().ContainSingle(s => s.Code == "blacklisted").Which.Should().Be(("blacklist", "blacklisted", 1L));
    }

    [Fact]
    public async Task Challenges_cannot_be_forged_replayed_or_answered_wrongly_and_blacklists_expire()
    {
        var saleId = await Clients[0].CreateSaleAsync(stock: 10, perUserLimit: 1, gatewayRules: new { requireToken = true });
        var user = await Clients[0].TokenAsync("checker");
        // A challenge takes one answer, on whichever process: a wrong one spends it.
        var (guessed, guessedQuestion) = await Captcha.ChallengeAsync(Clients[0], saleId, user);
        (await Clients[0].PostAsync($"api/sales/{saleId}/token", new { challengeId = guessed, answer = Captcha.Solve(guessedQuestion) + "1" }, user)).Status.Should().Be(403);
        var (late, lateBody) = await Clients[1].PostAsync($"api/sales/{saleId}/token", new { challengeId = guessed, answer = Captcha.Solve(guessedQuestion) }, user);
        (late, lateBody!["code"]!.GetValue<string>()).Should().Be((409, "challenge_used"), "the right answer after a wrong one comes too late");

        var (id, question) = await Captcha.ChallengeAsync(Clients[0], saleId, user);
        var answer = Captcha.Solve(question);
        var forgedPayload = Convert.ToBase64String(Encoding.UTF8.GetBytes("fs-challenge-1\n" + saleId + "\nchecker\n9999999999999\nnonce\n"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_') + "." + id[(id.LastIndexOf('.') + 1)..];
        var (forged, forgedBody) = await Clients[1].PostAsync($"api/sales/{saleId}/token", new { challengeId = forgedPayload, answer }, user);
        forged.Should().Be(403);
        forgedBody!["code"]!.GetValue<string>().Should().Be("wrong_answer");
        var someoneElse = await Clients[0].TokenAsync("someone-else");
        (await Clients[0].PostAsync($"api/sales/{saleId}/token", new { challengeId = id, answer }, someoneElse)).Status.Should().Be(403, "bound to its user");
        (await Clients[1].PostAsync($"api/sales/{saleId}/token", new { challengeId = id, answer }, user)).Status.Should().Be(200, "neither spent it");
        (await Clients[0].PostAsync($"api/sales/{saleId}/token", new { challengeId = id, answer }, user)).Status.Should().Be(409, "a challenge buys one token");

        // Blacklist entries expire, and deleting one lifts it at once.
        (await Clients[0].PostAsync("api/admin/blacklist", new { kind = "user", value = "checker", ttlSeconds = 2 }, adminKey: TestServices.AdminKey)).Status.Should().Be(201);
        (await Clients[0].PurchaseAsync(saleId, user, 1, "b1", clientIp: "203.0.113.90")).Code.Should().Be("blacklisted");
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        (await Clients[0].PurchaseAsync(saleId, user, 1, "b2", clientIp: "203.0.113.90")).Code.Should().Be("invalid_token", "the entry expired; the next layer answers");
        (await Clients[0].PostAsync("api/admin/blacklist", new { kind = "ip", value = "203.0.113.91" }, adminKey: TestServices.AdminKey)).Status.Should().Be(201);
        (await Clients[0].PurchaseAsync(saleId, user, 1, "b3", clientIp: "203.0.113.91")).Code.Should().Be("blacklisted");
        (await Clients[0].DeleteAsync("api/admin/blacklist/ip/203.0.113.91", TestServices.AdminKey)).Should().Be(204);
        (await Clients[0].PurchaseAsync(saleId, user, 1, "b4", clientIp: "203.0.113.91")).Code.Should().Be("invalid_token");
        (await Clients[0].PostAsync("api/admin/blacklist", new { kind = "planet", value = "x" }, adminKey: TestServices.AdminKey)).Status.Should().Be(400);
    }

    [Fact]
    public async Task Without_a_token_secret_a_production_server_refuses_to_start()
    {
        await using var server = new ServerProcess("api", new Dictionary<string, string> { ["FlashSale__Gateway__TokenSecret"] = "" });

        var exit = await server.StartExpectingExitAsync(TimeSpan.FromSeconds(30));

        exit.Should().NotBe(0);
        server.Log.Should().Contain("FlashSale:Gateway:TokenSecret").And.Contain("required outside Development");
    }
}
