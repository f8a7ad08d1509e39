using System.Net;
using System.Net.Sockets;

namespace MasterMcp.Net;

/// <summary>
/// The special-purpose ranges of both address families (IANA IPv4 and IPv6 Special-Purpose Address Registries, plus
/// multicast and reserved space): a URL someone else chose must not make the gateway connect into them (SSRF). IPv6 that
/// embeds or translates IPv4 (IPv4-compatible, NAT64, 6to4, Teredo) is refused as a whole — a public server has a native
/// address, and the embedded IPv4 address may be internal. IPv4-mapped IPv6 is judged by its IPv4 address.
/// </summary>
public static class SpecialPurposeAddresses
{
    /// <summary>One range and what it is.</summary>
    public sealed record Range(IPNetwork Network, string Name);

    /// <summary>The table, most specific first (the first match names the range).</summary>
    public static readonly IReadOnlyList<Range> Table =
    [
        // IPv4 (RFC 6890 and successors)
        new(IPNetwork.Parse("0.0.0.0/8"), "this network"),
        new(IPNetwork.Parse("10.0.0.0/8"), "private-use"),
        new(IPNetwork.Parse("100.64.0.0/10"), "shared address space (CGNAT)"),
        new(IPNetwork.Parse("127.0.0.0/8"), "loopback"),
        new(IPNetwork.Parse("169.254.0.0/16"), "link-local"),
        new(IPNetwork.Parse("172.16.0.0/12"), "private-use"),
        new(IPNetwork.Parse("192.0.0.0/24"), "IETF protocol assignments"),
        new(IPNetwork.Parse("192.0.2.0/24"), "documentation (TEST-NET-1)"),
        new(IPNetwork.Parse("192.31.196.0/24"), "AS112-v4"),
        new(IPNetwork.Parse("192.52.193.0/24"), "AMT"),
        new(IPNetwork.Parse("192.88.99.0/24"), "6to4 relay anycast (deprecated)"),
        new(IPNetwork.Parse("192.168.0.0/16"), "private-use"),
        new(IPNetwork.Parse("192.175.48.0/24"), "AS112 direct delegation"),
        new(IPNetwork.Parse("198.18.0.0/15"), "benchmarking"),
        new(IPNetwork.Parse("198.51.100.0/24"), "documentation (TEST-NET-2)"),
        new(IPNetwork.Parse("203.0.113.0/24"), "documentation (TEST-NET-3)"),
        new(IPNetwork.Parse("224.0.0.0/4"), "multicast"),
        new(IPNetwork.Parse("240.0.0.0/4"), "reserved (and limited broadcast)"),

        // IPv6 (RFC 6890 and successors)
        new(IPNetwork.Parse("::/128"), "unspecified"),
        new(IPNetwork.Parse("::1/128"), "loopback"),
        new(IPNetwork.Parse("::/96"), "IPv4-compatible IPv6 (deprecated)"),
        new(IPNetwork.Parse("::ffff:0:0:0/96"), "IPv4-translated (SIIT)"),
        new(IPNetwork.Parse("64:ff9b::/96"), "NAT64 well-known prefix"),
        new(IPNetwork.Parse("64:ff9b:1::/48"), "NAT64 local-use prefix"),
        new(IPNetwork.Parse("100::/64"), "discard-only"),
        new(IPNetwork.Parse("2001::/32"), "Teredo"),
        new(IPNetwork.Parse("2001::/23"), "IETF protocol assignments"),
        new(IPNetwork.Parse("2001:db8::/32"), "documentation"),
        new(IPNetwork.Parse("2002::/16"), "6to4"),
        new(IPNetwork.Parse("3fff::/20"), "documentation"),
        new(IPNetwork.Parse("5f00::/16"), "SRv6 SIDs"),
        new(IPNetwork.Parse("fc00::/7"), "unique local"),
        new(IPNetwork.Parse("fe80::/10"), "link-local"),
        new(IPNetwork.Parse("fec0::/10"), "site-local (deprecated)"),
        new(IPNetwork.Parse("ff00::/8"), "multicast"),
    ];

    private static readonly IPNetwork GlobalUnicast = IPNetwork.Parse("2000::/3");

    /// <summary>The special-purpose range <paramref name="address"/> is in, or null for a public unicast address.</summary>
    public static string? Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            return "not an IP address";
        }
        // Scoped IPv6 (fe80::1%2) compares without its scope.
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes());
        }
        foreach (var range in Table)
        {
            if (range.Network.Contains(address))
            {
                return range.Name;
            }
        }
        return address.AddressFamily == AddressFamily.InterNetworkV6 && !GlobalUnicast.Contains(address) ? "outside IPv6 global unicast (2000::/3)" : null;
    }

    /// <summary>True for a public unicast address.</summary>
    public static bool IsPublic(IPAddress address) => Classify(address) is null;
}
