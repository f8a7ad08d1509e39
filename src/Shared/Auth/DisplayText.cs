using System.Globalization;
using System.Text;

namespace MasterMcp.Auth;

/// <summary>
/// Text from outside (client names, ids) made safe to show a person: bidirectional overrides and isolates (which can
/// make "moc.elgoog" read as "google.com", CVE-2021-42574) and other invisible controls become visible escapes.
/// </summary>
public static class DisplayText
{
    /// <summary><paramref name="text"/> with every bidi control and other control character shown as <c>[U+XXXX]</c>.</summary>
    public static string Neutralise(string text)
    {
        if (!text.Any(IsHidden))
        {
            return text;
        }
        var builder = new StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            if (IsHidden(c))
            {
                builder.Append("[U+").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)).Append(']');
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    private static bool IsHidden(char c) =>
        c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C'
        || (char.IsControl(c) && c is not '\n' and not '\t');
}
