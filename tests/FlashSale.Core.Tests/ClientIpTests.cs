using System.Net;
using FlashSale.Core.Gateway;

namespace FlashSale.Core.Tests;

/// <summary>How the gateway tells clients apart by address, and what an ip blacklist entry may be.</summary>
public sealed class ClientIpTests
{
    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    [InlineData("2001:db8::1", "2001:db8:0:0::/64")]
    [InlineData("::1", "0:0:0:0::/64")]
    public void An_address_is_keyed_as_ipv4_or_by_its_64(string address, string key)
    {
        ClientIp.From(IPAddress.Parse(address)).Key.Should().Be(key);
    }

    [Fact]
    public void A_mapped_address_is_the_same_client_as_its_ipv4_address_and_a_64_is_one_client()
    {
        ClientIp.From(IPAddress.Parse("::ffff:203.0.113.7")).Should().Be(ClientIp.From(IPAddress.Parse("203.0.113.7")));
        ClientIp.From(IPAddress.Parse("2001:db8:1:2::1")).Should().Be(ClientIp.From(IPAddress.Parse("2001:db8:1:2:abcd::9")));
        ClientIp.From(IPAddress.Parse("2001:db8:1:2::1")).Should().NotBe(ClientIp.From(IPAddress.Parse("2001:db8:1:3::1")));
        ClientIp.From(null).Should().Be(ClientIp.Unknown);
        ClientIp.Unknown.Key.Should().Be("unknown");
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("203.0.113.0/24", "203.0.113.0/24")]
    [InlineData("203.0.113.77/24", "203.0.113.0/24")]
    [InlineData("203.0.113.7/32", "203.0.113.7")]
    [InlineData("0.0.0.0/0", "0.0.0.0/0")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8::/32", "2001:db8::/32")]
    [InlineData("2001:db8:aa::/48", "2001:db8:aa::/48")]
    [InlineData("2001:db8:bb::1", "2001:db8:bb::/64")]
    [InlineData("2001:db8:bb::1/100", "2001:db8:bb::/64")]
    [InlineData("2001:DB8:CC::/64", "2001:db8:cc::/64")]
    public void A_range_is_an_address_or_a_cidr_written_one_way(string text, string canonical)
    {
        IpRange.TryParse(text, out var range).Should().BeTrue();
        range.ToString().Should().Be(canonical);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-an-ip")]
    [InlineData("203.0.113")]
    [InlineData("10.1")]
    [InlineData("12345")]
    [InlineData("010.0.0.1")]
    [InlineData("203.0.113.256")]
    [InlineData("203.0.113.7/33")]
    [InlineData("203.0.113.7/")]
    [InlineData("203.0.113.7/-1")]
    [InlineData("203.0.113.7/+8")]
    [InlineData("203.0.113.7/ 8")]
    [InlineData("203.0.113.7/24/8")]
    [InlineData("2001:db8::/129")]
    [InlineData("fe80::1%eth0")]
    [InlineData("2001:db8::g")]
    [InlineData(" 203.0.113.7")]
    [InlineData("::")] // IPv6 ranges that would hold the IPv4-mapped space, so every IPv4 client
    [InlineData("::1")]
    [InlineData("::/64")]
    [InlineData("0:0:0:0::/64")]
    [InlineData("::/0")]
    public void Anything_else_is_no_range(string text)
    {
        IpRange.TryParse(text, out _).Should().BeFalse();
    }

    [Fact]
    public void A_range_holds_exactly_the_clients_in_it()
    {
        IpRange.TryParse("203.0.113.0/24", out var v4).Should().BeTrue();
        v4.Contains(ClientIp.Parse("203.0.113.200")).Should().BeTrue();
        v4.Contains(ClientIp.Parse("::ffff:203.0.113.1")).Should().BeTrue();
        v4.Contains(ClientIp.Parse("203.0.114.1")).Should().BeFalse();
        v4.Contains(ClientIp.Unknown).Should().BeFalse();
        IpRange.TryParse("2001:db8:aa::/48", out var v6).Should().BeTrue();
        v6.Contains(ClientIp.Parse("2001:db8:aa:ffff::1")).Should().BeTrue();
        v6.Contains(ClientIp.Parse("2001:db8:ab::1")).Should().BeFalse();
        v6.Contains(ClientIp.Parse("203.0.113.1")).Should().BeFalse();
    }

    [Theory]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("192.0.2.0/24", true)]
    [InlineData("2001:db8::/32", true)]
    [InlineData("0.0.0.0/0", false)] // trusting everyone's X-Forwarded-For
    [InlineData("::/0", false)]
    [InlineData("0.0.0.0/7", false)]
    [InlineData("2001::/31", false)]
    [InlineData("10.0.0.1/8", false)]
    [InlineData("2001:db8::1/32", false)]
    [InlineData("10.0.0.0", false)]
    [InlineData("10.0.0.0/33", false)]
    [InlineData("10.0/8", false)]
    public void A_proxy_network_is_a_cidr_with_nothing_past_its_prefix(string text, bool valid)
    {
        IpText.TryParseNetwork(text, out var network).Should().Be(valid);
        if (valid) network.ToString().Should().Be(text);
    }
}
