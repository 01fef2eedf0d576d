using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FlashSale.Core.Gateway;

/// <summary>
/// A client's address as the gateway tells clients apart (per-IP limit, users per IP, IP blacklist): an IPv4 address,
/// an IPv4-mapped IPv6 address (<c>::ffff:203.0.113.7</c>, what a dual-stack socket reports) being the IPv4 address it
/// carries; for IPv6, the /64 the address lies in, since one subscriber's network is a /64 in which a host picks new
/// addresses at will.
/// </summary>
public readonly struct ClientIp : IEquatable<ClientIp>
{
    private const string UnknownKey = "unknown";
    internal static readonly UInt128 MappedPrefix = (UInt128)0xFFFF << 32; // ::ffff:0:0/96

    private readonly string? _key;
    private readonly IPAddress? _address;

    private ClientIp(UInt128 bits, string key, IPAddress address) => (Bits, _key, _address) = (bits, key, address);

    /// <summary>No address (a server that reports none).</summary>
    public static ClientIp Unknown => default;

    /// <summary>What limits and risk signals are keyed on: <c>203.0.113.7</c>, <c>2001:db8:1:2::/64</c>, or <c>unknown</c>.</summary>
    public string Key => _key ?? UnknownKey;

    public bool IsKnown => _key is not null;

    /// <summary>
    /// The address itself (an IPv4-mapped one as its IPv4 address), for what needs the one address rather than the client:
    /// a captcha provider's verify call, a log line. Null when unknown.
    /// </summary>
    public IPAddress? Address => _address is { IsIPv4MappedToIPv6: true } mapped ? mapped.MapToIPv4() : _address;

    /// <summary>The address in IPv6 form (IPv4 as <c>::ffff:a.b.c.d</c>), an IPv6 address's last 64 bits cleared: what ranges match.</summary>
    internal UInt128 Bits { get; }

    /// <summary>
    /// The client behind an address. Costs nothing for IPv4 beyond <see cref="IPAddress.ToString"/> (which the address
    /// caches); one string of the key for a mapped or an IPv6 address.
    /// </summary>
    public static ClientIp From(IPAddress? address)
    {
        if (address is null) return Unknown;
        Span<byte> bytes = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork && address.TryWriteBytes(bytes, out _))
        {
            return new ClientIp(MappedPrefix | BinaryPrimitives.ReadUInt32BigEndian(bytes), address.ToString(), address);
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || !address.TryWriteBytes(bytes, out _)) return Unknown;
        var bits = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        if (bits >> 32 == 0xFFFF)
        {
            var v4 = (uint)bits;
            return new ClientIp(bits, string.Create(CultureInfo.InvariantCulture, $"{v4 >> 24}.{(v4 >> 16) & 0xFF}.{(v4 >> 8) & 0xFF}.{v4 & 0xFF}"), address);
        }
        var prefix = (ulong)(bits >> 64);
        return new ClientIp((UInt128)prefix << 64, string.Create(CultureInfo.InvariantCulture,
            $"{prefix >> 48:x}:{(prefix >> 32) & 0xFFFF:x}:{(prefix >> 16) & 0xFFFF:x}:{prefix & 0xFFFF:x}::/64"), address);
    }

    /// <summary>The client behind an address written as text (<see cref="IpText.TryParseAddress"/>); unknown when it is none.</summary>
    public static ClientIp Parse(string? text) => IpText.TryParseAddress(text, out var address) ? From(address) : Unknown;

    /// <summary>The same client: the same IPv4 address, or the same /64.</summary>
    public bool Equals(ClientIp other) => Bits == other.Bits && IsKnown == other.IsKnown;

    public override bool Equals(object? obj) => obj is ClientIp other && Equals(other);

    public override int GetHashCode() => Bits.GetHashCode();

    public override string ToString() => Key;

    public static bool operator ==(ClientIp left, ClientIp right) => left.Equals(right);

    public static bool operator !=(ClientIp left, ClientIp right) => !left.Equals(right);
}

/// <summary>
/// What a blacklist entry of kind ip blocks: one address or a CIDR range, held in IPv6 form like <see cref="ClientIp.Bits"/>.
/// An IPv6 entry covers at least a /64 (clients are told apart by their /64); an IPv4-mapped one is its IPv4 address.
/// </summary>
public readonly record struct IpRange
{
    private IpRange(UInt128 network, int prefixLength) => (Network, PrefixLength) = (network, prefixLength);

    /// <summary>The range's first address, in IPv6 form.</summary>
    public UInt128 Network { get; }

    /// <summary>0 to 128, in IPv6 form (an IPv4 /24 is 120).</summary>
    public int PrefixLength { get; }

    public bool IsIPv4 => PrefixLength >= 96 && Network >> 32 == 0xFFFF;

    public bool Contains(ClientIp ip) => ip.IsKnown && (ip.Bits & MaskOf(PrefixLength)) == Network;

    /// <summary>The bits a range of this length compares.</summary>
    public static UInt128 MaskOf(int prefixLength) => prefixLength == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefixLength);

    /// <summary>
    /// An address (<c>203.0.113.7</c>, <c>2001:db8::1</c>) or a CIDR range (<c>203.0.113.0/24</c>, <c>2001:db8::/48</c>);
    /// bits past the prefix are cleared. Anything else is no range, nor is an IPv6 range that would hold IPv4 clients.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out IpRange range)
    {
        range = default;
        if (string.IsNullOrEmpty(text)) return false;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (!IpText.TryParseAddress(slash < 0 ? text : text[..slash], out var address)) return false;
        Span<byte> bytes = stackalloc byte[16];
        var v4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (v4) address = address.MapToIPv6();
        address.TryWriteBytes(bytes, out _);
        var bits = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        var length = 128;
        if (slash >= 0)
        {
            if (!IpText.TryParsePrefix(text.AsSpan(slash + 1), v4 ? 32 : 128, out length)) return false;
            if (v4) length += 96;
        }
        var mapped = bits >> 32 == 0xFFFF;
        if (!mapped || length < 96) length = Math.Min(length, 64);
        // An IPv6 range that holds the IPv4-mapped space (::/64 does, and ::1 widened to its /64) would block every
        // IPv4 client: IPv4 is blocked as IPv4 (0.0.0.0/0 for all of it).
        if (length < 96 && (ClientIp.MappedPrefix & MaskOf(length)) == (bits & MaskOf(length))) return false;
        range = new IpRange(bits & MaskOf(length), length);
        return true;
    }

    /// <summary>The canonical text: <c>203.0.113.7</c>, <c>203.0.113.0/24</c>, <c>2001:db8:1:2::/64</c>.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, Network);
        if (IsIPv4)
        {
            var text = new IPAddress(bytes[12..]).ToString();
            return PrefixLength == 128 ? text : string.Create(CultureInfo.InvariantCulture, $"{text}/{PrefixLength - 96}");
        }
        return string.Create(CultureInfo.InvariantCulture, $"{new IPAddress(bytes)}/{PrefixLength}");
    }
}

/// <summary>Addresses and networks as an operator writes them, strictly: dotted-quad IPv4 or IPv6, nothing else.</summary>
public static class IpText
{
    /// <summary>
    /// An IPv4 address in four decimal parts (no <c>10.1</c>, no <c>010.0.0.1</c>, which other tools read otherwise)
    /// or an IPv6 address without a zone.
    /// </summary>
    public static bool TryParseAddress([NotNullWhen(true)] string? text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (string.IsNullOrEmpty(text) || text.Length > 45) return false;
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return !text.Contains('%', StringComparison.Ordinal) && IPAddress.TryParse(text, out address) && address.AddressFamily == AddressFamily.InterNetworkV6;
        }
        var parts = 0;
        foreach (var part in text.AsSpan().Split('.'))
        {
            var digits = text.AsSpan(part);
            if (++parts > 4 || digits.Length is 0 or > 3 || (digits.Length > 1 && digits[0] == '0') || digits.ContainsAnyExceptInRange('0', '9')) return false;
            if (int.Parse(digits, CultureInfo.InvariantCulture) > 255) return false;
        }
        return parts == 4 && IPAddress.TryParse(text, out address);
    }

    /// <summary>The shortest prefixes a trusted proxy network may have: a shorter one (<c>0.0.0.0/0</c>) trusts anyone's X-Forwarded-For.</summary>
    public const int MinNetworkPrefixV4 = 8, MinNetworkPrefixV6 = 32;

    /// <summary>
    /// A proxy network in CIDR notation with no bits set past its prefix (<c>10.0.0.0/8</c>, <c>2001:db8::/32</c>), at
    /// least <see cref="MinNetworkPrefixV4"/> / <see cref="MinNetworkPrefixV6"/> bits long.
    /// </summary>
    public static bool TryParseNetwork([NotNullWhen(true)] string? text, out IPNetwork network)
    {
        network = default;
        var slash = text?.IndexOf('/', StringComparison.Ordinal) ?? -1;
        if (slash < 0 || !TryParseAddress(text![..slash], out var address)) return false;
        var v4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (!TryParsePrefix(text.AsSpan(slash + 1), v4 ? 32 : 128, out var length) || length < (v4 ? MinNetworkPrefixV4 : MinNetworkPrefixV6)) return false;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        // Left-aligned, so that one mask serves both families.
        var bits = v4 ? (UInt128)BinaryPrimitives.ReadUInt32BigEndian(bytes) << 96 : BinaryPrimitives.ReadUInt128BigEndian(bytes);
        if ((bits & ~IpRange.MaskOf(length)) != 0) return false;
        network = new IPNetwork(address, length);
        return true;
    }

    internal static bool TryParsePrefix(ReadOnlySpan<char> text, int max, out int length)
    {
        length = 0;
        return text.Length is > 0 and <= 3 && !text.ContainsAnyExceptInRange('0', '9')
            && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out length) && length <= max;
    }
}
