using System.Globalization;

namespace MasterMcp.Auth;

/// <summary>
/// Where a browser may be sent back to after login: a path on this gateway, judged the way a browser parses a Location.
/// Browsers (WHATWG URL parsing) drop tab, CR and LF anywhere, strip leading control characters and spaces and read '\' as
/// '/', so "/\t/evil.example" and "/\evil.example" are protocol-relative URLs to another site. Rather than imitate that
/// parser, only plain printable ASCII paths are accepted, and no percent-decoded layer of them may start with "//" or "/\"
/// or hold a control character, white space or backslash. Everything else is refused (never silently replaced).
/// </summary>
public static class ReturnUrls
{
    /// <summary>The longest return URL accepted.</summary>
    public const int MaxLength = 2048;

    /// <summary>Why <paramref name="value"/> cannot be a return URL, or null when it can.</summary>
    public static string? Problem(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "is empty";
        }
        if (value.Length > MaxLength)
        {
            return $"is longer than {MaxLength} characters";
        }
        if (value[0] != '/')
        {
            return "must be a path on this gateway, starting with '/'";
        }
        for (var i = 0; i < value.Length; i++)
        {
            if (!IsAllowed(value[i]))
            {
                return $"contains {Describe(value[i])} at position {i}; only printable ASCII without '\\', quotes, '<', '>', '`', '^', '{{', '|' and '}}' is accepted";
            }
        }
        // Each percent-decoded layer too: a later hop (a proxy, another redirect) may decode once more.
        var layer = value;
        for (var depth = 0; depth < 4; depth++)
        {
            if (layer.Length > 1 && layer[1] is '/' or '\\')
            {
                return "would leave this gateway: it starts with '//' or '/\\' (a protocol-relative URL)" + (depth > 0 ? " once percent-decoded" : "");
            }
            var decoded = Uri.UnescapeDataString(layer);
            if (decoded == layer)
            {
                return null;
            }
            foreach (var c in decoded)
            {
                if (char.IsControl(c) || char.IsWhiteSpace(c) || c == '\\')
                {
                    return $"contains {Describe(c)} once percent-decoded";
                }
            }
            layer = decoded;
        }
        return "is percent-encoded too many times";
    }

    private static bool IsAllowed(char c) =>
        c is > ' ' and < (char)0x7F and not ('\\' or '"' or '\'' or '<' or '>' or '`' or '^' or '{' or '|' or '}');

    private static string Describe(char c) => c switch
    {
        '\\' => "a backslash",
        _ when char.IsControl(c) => "control character U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
        _ when char.IsWhiteSpace(c) => "white space U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
        _ when c > (char)0x7E => "non-ASCII character U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture),
        _ => "'" + c + "'",
    };
}
