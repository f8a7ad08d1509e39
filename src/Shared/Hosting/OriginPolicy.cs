using MasterMcp.Configuration;
using Microsoft.AspNetCore.Http;

namespace MasterMcp.Hosting;

/// <summary>Which browser origins may call the gateway: its own origin, the configured base URL's origin, and security.allowed_origins.</summary>
public static class OriginPolicy
{
    /// <summary>True when <paramref name="origin"/> is the gateway's own origin or explicitly allowed.</summary>
    public static bool IsAllowed(string origin, HttpContext context, GatewayOptions options)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var originUri))
        {
            return false;
        }
        var normalized = originUri.GetLeftPart(UriPartial.Authority);
        foreach (var allowed in options.Security.AllowedOrigins)
        {
            if (allowed == "*" || (Uri.TryCreate(allowed, UriKind.Absolute, out var a) && string.Equals(a.GetLeftPart(UriPartial.Authority), normalized, StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }
        if (options.Hosting.BaseUrl is { } baseUrl && Uri.TryCreate(baseUrl, UriKind.Absolute, out var b)
            && string.Equals(b.GetLeftPart(UriPartial.Authority), normalized, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        var self = context.Request.Scheme + "://" + context.Request.Host.Value;
        return string.Equals(self, normalized, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// True when a browser form POST comes from the gateway's own pages: its <c>Origin</c> (or, without one, its
    /// <c>Referer</c>) is the origin of hosting.base_url or of the request itself. Absent, <c>null</c> or foreign → false.
    /// </summary>
    public static bool IsOwnPageRequest(HttpContext context, GatewayOptions options)
    {
        var headers = context.Request.Headers;
        var source = headers.Origin.Count > 0 ? headers.Origin.ToString() : headers.Referer.ToString();
        if (!Uri.TryCreate(source, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            return false;
        }
        var normalized = uri.GetLeftPart(UriPartial.Authority);
        if (options.Hosting.BaseUrl is { } baseUrl && Uri.TryCreate(baseUrl, UriKind.Absolute, out var b)
            && string.Equals(b.GetLeftPart(UriPartial.Authority), normalized, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }
        return string.Equals(context.Request.Scheme + "://" + context.Request.Host.Value, normalized, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>True for localhost, 127.0.0.1, ::1 and the host of hosting.base_url.</summary>
    public static bool IsLoopbackOrSelfHost(string host, GatewayOptions options)
    {
        if (host.Length == 0 || string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address)))
        {
            return true;
        }
        return options.Hosting.BaseUrl is { } baseUrl && Uri.TryCreate(baseUrl, UriKind.Absolute, out var b)
            && string.Equals(b.Host, host, StringComparison.OrdinalIgnoreCase);
    }
}
