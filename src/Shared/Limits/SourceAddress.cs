using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Limits;

/// <summary>
/// The address a request comes from, for per-address limits. Behind the edge proxy (Cloudflare, the Functions front end)
/// the connection's address is the proxy's, so <c>CF-Connecting-IP</c>, else the <c>X-Forwarded-For</c> entry the proxy
/// appended, name the client — but only on a request that carried the valid origin secret: anyone can send those headers,
/// and on a request without the secret they must not move it into another partition.
/// </summary>
public static class SourceAddress
{
    /// <summary>Set by the pipeline once a request's origin secret checked out.</summary>
    public const string OriginVerifiedItem = "MasterMcp.OriginSecretVerified";

    /// <summary>The client's address: forwarded headers on an origin-verified request, else the connection's.</summary>
    public static IPAddress Of(HttpContext context)
    {
        if (context.Items.ContainsKey(OriginVerifiedItem)
            && (Parse(context.Request.Headers["CF-Connecting-IP"].ToString()) ?? LastForwardedFor(context.Request.Headers["X-Forwarded-For"])) is { } forwarded)
        {
            return Normalize(forwarded);
        }
        return context.Connection.RemoteIpAddress is { } remote ? Normalize(remote) : IPAddress.None;
    }

    /// <summary>
    /// The partition of an address: IPv4 addresses one by one, IPv6 by /64 (one subscriber usually holds a whole /64, so
    /// counting single IPv6 addresses would let one client rotate through 2^64 partitions).
    /// </summary>
    public static string PartitionOf(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    // The proxy next to the gateway appends the address it saw; entries to its left came with the request and prove nothing.
    private static IPAddress? LastForwardedFor(Microsoft.Extensions.Primitives.StringValues values)
    {
        var joined = values.ToString();
        var comma = joined.LastIndexOf(',');
        return Parse(comma < 0 ? joined : joined[(comma + 1)..]);
    }

    /// <summary>An address as proxies write it: bare, <c>1.2.3.4:port</c>, <c>[v6]</c> or <c>[v6]:port</c>; null when it is none.</summary>
    public static IPAddress? Parse(string value)
    {
        var text = value.Trim();
        if (text.Length is 0 or > 64)
        {
            return null;
        }
        if (text[0] == '[')
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            text = close > 0 ? text[1..close] : text;
        }
        else if (text.Count(c => c == ':') == 1)
        {
            // IPv4 with a port (Azure's front end writes "1.2.3.4:56789").
            text = text[..text.IndexOf(':', StringComparison.Ordinal)];
        }
        return IPAddress.TryParse(text, out var address) && address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6 ? address : null;
    }

    private static IPAddress Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        // Drop a zone id (fe80::1%eth0 and fe80::1 are one host).
        return address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0 ? new IPAddress(address.GetAddressBytes()) : address;
    }
}
