using System.Net;
using System.Net.Sockets;

namespace MasterMcp.Auth;

/// <summary>Addresses the gateway must not fetch from on a client's say-so (SSRF): loopback, private, link-local, CGNAT, multicast, reserved.</summary>
public static class PrivateAddresses
{
    /// <summary>True when <paramref name="address"/> is not a public unicast address.</summary>
    public static bool IsPrivate(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return b[0] switch
            {
                0 or 10 or 127 => true,
                100 => b[1] >= 64 && b[1] <= 127,
                169 => b[1] == 254,
                172 => b[1] >= 16 && b[1] <= 31,
                192 => (b[1] == 168) || (b[1] == 0 && b[2] == 0) || (b[1] == 0 && b[2] == 2),
                198 => b[1] is 18 or 19 || (b[1] == 51 && b[2] == 100),
                203 => b[1] == 0 && b[2] == 113,
                >= 224 => true,
                _ => false,
            };
        }
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal
                || address.IsIPv6Multicast || address.IsIPv6UniqueLocal || address.IsIPv6Teredo || address.IsIPv4MappedToIPv6)
            {
                return true;
            }
            var b = address.GetAddressBytes();
            // 64:ff9b::/96 (NAT64) and 2001:db8::/32 (documentation) can hide private targets or are never public.
            return (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8);
        }
        return true;
    }
}
