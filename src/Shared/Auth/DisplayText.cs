using System.Globalization;
using System.Text;

namespace MasterMcp.Auth;

/// <summary>
/// Text from outside (client names, ids) made safe to show a person: bidirectional overrides and isolates (which can
/// make "moc.elgoog" read as "google.com", CVE-2021-42574), zero-width characters and other invisible controls become
/// visible escapes.
/// </summary>
public static class DisplayText
{
    /// <summary><paramref name="text"/> with every bidi control and other invisible character shown as <c>[U+XXXX]</c>.</summary>
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

    // Bidi embeddings/overrides/isolates and marks, zero-width and invisible formatting characters, line/paragraph
    // separators, the byte order mark, and C0/C1 controls other than tab and newline.
    private static bool IsHidden(char c) =>
        c is (>= '\u200B' and <= '\u200F') or (>= '\u2028' and <= '\u202E') or (>= '\u2060' and <= '\u2069') or '\u061C' or '\uFEFF'
        || (char.IsControl(c) && c is not '\n' and not '\t');
}
