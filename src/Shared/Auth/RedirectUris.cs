namespace MasterMcp.Auth;

/// <summary>
/// Which redirect URIs a client may register — printable ASCII; https, http on loopback, or a private-use scheme not on the
/// deny list; never a fragment — and which requested redirect URI matches a registered one: exactly, except the port on
/// loopback (RFC 8252 §7.3: native apps pick a free port at run time).
/// </summary>
public static class RedirectUris
{
    // Refused whatever the configured list says: they run script or read local files in the browser.
    private static readonly string[] AlwaysDenied = ["javascript", "data", "file", "vbscript", "about", "blob"];

    /// <summary>Why <paramref name="value"/> cannot be a redirect URI, or null when it can.</summary>
    public static string? Problem(string value, IReadOnlyList<string> deniedSchemes)
    {
        // Redirect URIs are written into Location headers as registered: a control character, space or non-ASCII
        // character there cannot be sent (and Uri would silently trim or escape it before the checks below).
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] is <= ' ' or >= (char)0x7F)
            {
                return $"contains a control character, space or non-ASCII character (U+{(int)value[i]:X4}) at position {i}; percent-encode it";
            }
        }
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri))
        {
            return "is not an absolute URI";
        }
        if (uri.Fragment.Length > 0)
        {
            return "must not contain a fragment";
        }
        if (uri.Scheme == Uri.UriSchemeHttps)
        {
            return null;
        }
        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            return Configuration.AuthOptionsValidator.IsLoopbackHost(uri.Host) ? null : "plain http is only allowed on loopback addresses";
        }
        if (IsDenied(uri.Scheme, AlwaysDenied) || IsDenied(uri.Scheme, deniedSchemes))
        {
            return $"the '{uri.Scheme}' scheme is not allowed";
        }
        return uri.Scheme.Contains('.', StringComparison.Ordinal) || uri.Scheme.Length > 2 ? null : $"'{uri.Scheme}:' is not a private-use scheme";
    }

    /// <summary>
    /// True when <paramref name="requested"/> may be used for a client that registered <paramref name="registered"/>: the
    /// same string, or both http on the same loopback host with the same path and query and any port.
    /// </summary>
    public static bool Matches(string registered, string requested)
    {
        if (string.Equals(registered, requested, StringComparison.Ordinal))
        {
            return true;
        }
        return WithoutLoopbackPort(registered) is { } a && WithoutLoopbackPort(requested) is { } b
            && string.Equals(a.Host, b.Host, StringComparison.OrdinalIgnoreCase) && string.Equals(a.Tail, b.Tail, StringComparison.Ordinal);
    }

    // Splits "http://host[:port]rest" by hand, so the comparison is of what was sent, not of Uri's normalised form.
    private static (string Host, string Tail)? WithoutLoopbackPort(string value)
    {
        const string prefix = "http://";
        if (!value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var end = value.IndexOfAny(['/', '?', '#'], prefix.Length);
        var authority = end < 0 ? value[prefix.Length..] : value[prefix.Length..end];
        var rest = end < 0 ? "" : value[end..];
        if (authority.Contains('@', StringComparison.Ordinal) || rest.Contains('#', StringComparison.Ordinal))
        {
            return null;
        }
        var host = authority;
        var colon = authority.LastIndexOf(':');
        if (colon >= 0 && colon > authority.LastIndexOf(']'))
        {
            var port = authority[(colon + 1)..];
            if (port.Length is 0 or > 5 || !port.All(char.IsAsciiDigit) || int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) is 0 or > 65535)
            {
                return null;
            }
            host = authority[..colon];
        }
        if (host.Length == 0 || !Configuration.AuthOptionsValidator.IsLoopbackHost(host) || Problem(value, []) is not null)
        {
            return null;
        }
        return (host, rest.Length == 0 ? "/" : rest);
    }

    private static bool IsDenied(string scheme, IReadOnlyList<string> deniedSchemes)
    {
        foreach (var denied in deniedSchemes)
        {
            if (denied.EndsWith('*')
                ? scheme.StartsWith(denied[..^1], StringComparison.OrdinalIgnoreCase)
                : string.Equals(scheme, denied, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }
}
