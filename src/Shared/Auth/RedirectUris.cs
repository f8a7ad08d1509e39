namespace MasterMcp.Auth;

/// <summary>Which redirect URIs a client may register: printable ASCII; https, http on loopback, or a private-use scheme; never a fragment.</summary>
public static class RedirectUris
{
    /// <summary>Why <paramref name="value"/> cannot be a redirect URI, or null when it can.</summary>
    public static string? Problem(string value)
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
        if (uri.Scheme is "javascript" or "data" or "file" or "vbscript" or "about" or "blob")
        {
            return $"the '{uri.Scheme}' scheme is not allowed";
        }
        return uri.Scheme.Contains('.', StringComparison.Ordinal) || uri.Scheme.Length > 2 ? null : $"'{uri.Scheme}:' is not a private-use scheme";
    }
}
