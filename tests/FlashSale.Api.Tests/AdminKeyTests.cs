using System.Net;
using FlashSale.Api.Tests.Infrastructure;
using FlashSale.Server.Apis;
using FlashSale.Server.Auth;
using FlashSale.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FlashSale.Api.Tests;

/// <summary>Wrong admin keys are throttled per address; a throttled address is refused even with the right key, until its window passes.</summary>
public sealed class AdminKeyTests : ApiTest
{
    [Fact]
    public async Task After_ten_wrong_keys_the_address_is_refused_even_with_the_right_key()
    {
        for (var n = 0; n < AdminGuard.FailuresPerWindow; n++)
        {
            (await Client.GetAsync("api/admin/blacklist", adminKey: $"guess-{n}-0123456789")).Status.Should().Be(403, "a wrong key");
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, "api/admin/blacklist");
        request.Headers.Add(AdminApi.AdminKeyHeader, TestServices.AdminKey);
        using var response = await Client.Http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "a guesser must not learn that a guess was right");
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        response.Headers.RetryAfter!.Delta!.Value.Should().BeGreaterThan(TimeSpan.FromSeconds(1)).And.BeLessThanOrEqualTo(AdminGuard.Window);
        (await response.Content.ReadAsStringAsync()).Should().Contain("\"code\":\"throttled\"");
    }

    [Fact]
    public void The_throttle_is_per_address_and_ends_with_its_window()
    {
        var clock = new TestClock();
        var guard = new AdminGuard(Options.Create(new FlashSaleOptions { AdminKey = TestServices.AdminKey }), clock);
        for (var n = 0; n < AdminGuard.FailuresPerWindow; n++) guard.Check(Call("203.0.113.7", "wrong-key-0123456789"), out _).Should().Be(AdminGuard.Verdict.Wrong);

        guard.Check(Call("203.0.113.7", TestServices.AdminKey), out var retryAfter).Should().Be(AdminGuard.Verdict.Throttled);
        retryAfter.Should().Be(AdminGuard.Window);
        guard.Check(Call("::ffff:203.0.113.7", TestServices.AdminKey), out _).Should().Be(AdminGuard.Verdict.Throttled, "an IPv4-mapped address is the same address");
        guard.Check(Call("203.0.113.8", TestServices.AdminKey), out _).Should().Be(AdminGuard.Verdict.Admin, "another address is not throttled");
        guard.Check(Call("203.0.113.7", TestServices.AdminKey[..^1]), out _).Should().Be(AdminGuard.Verdict.Throttled, "a prefix of the key is not let through either");

        clock.Now += AdminGuard.Window;
        guard.Check(Call("203.0.113.7", TestServices.AdminKey), out _).Should().Be(AdminGuard.Verdict.Admin, "the window has passed");
        guard.Check(Call("203.0.113.7", ""), out _).Should().Be(AdminGuard.Verdict.Missing);
    }

    [Fact]
    public void A_right_key_does_not_use_up_the_addresss_tries()
    {
        var guard = new AdminGuard(Options.Create(new FlashSaleOptions { AdminKey = TestServices.AdminKey }), new TestClock());
        for (var n = 0; n < AdminGuard.FailuresPerWindow - 1; n++) guard.Check(Call("203.0.113.10", "wrong-key-0123456789"), out _).Should().Be(AdminGuard.Verdict.Wrong);
        for (var n = 0; n < 50; n++) guard.Check(Call("203.0.113.10", TestServices.AdminKey), out _).Should().Be(AdminGuard.Verdict.Admin, "the admin's own calls are not guesses");
        guard.Check(Call("203.0.113.10", "wrong-key-0123456789"), out _).Should().Be(AdminGuard.Verdict.Wrong, "the tenth wrong key is still a try");
        guard.Check(Call("203.0.113.10", TestServices.AdminKey), out _).Should().Be(AdminGuard.Verdict.Throttled);
    }

    private static DefaultHttpContext Call(string address, string key)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(address);
        if (key.Length > 0) context.Request.Headers[AdminApi.AdminKeyHeader] = key;
        return context;
    }
}
