using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace MasterMcp.Storage;

/// <summary>
/// Turns arbitrary strings into valid PartitionKey/RowKey values. Keys without forbidden characters pass unchanged;
/// <c>/ \ # ?</c>, control characters and <c>%</c> become <c>%XX</c>; a key longer than <see cref="MaxEncodedLength"/>
/// after escaping becomes <c>h_</c> + base64url(SHA-256), as does any key given to <see cref="Hash"/>.
/// Distinct inputs give distinct outputs: escaped keys never start with <c>h_</c> (a leading <c>h</c> of <c>h_</c> is escaped too).
/// </summary>
public static class TableKey
{
    /// <summary>Longest key kept in readable (escaped) form; well under the service's 1 KiB limit.</summary>
    public const int MaxEncodedLength = 255;

    private const string HashPrefix = "h_";

    /// <summary>Encodes a caller key into a valid table key.</summary>
    public static string Encode(string key)
    {
        ArgumentNullException.ThrowIfNull(key);

        var extra = 0;
        foreach (var c in key)
        {
            if (MustEscape(c))
            {
                extra += 2;
            }
        }

        var escapeLeadingH = key.StartsWith(HashPrefix, StringComparison.Ordinal);
        if (escapeLeadingH)
        {
            extra += 2;
        }

        if (key.Length + extra > MaxEncodedLength)
        {
            return Hash(key);
        }

        if (extra == 0)
        {
            return key;
        }

        return string.Create(key.Length + extra, (key, escapeLeadingH), static (span, state) =>
        {
            var (source, leadingH) = state;
            var at = 0;
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                if (MustEscape(c) || (i == 0 && leadingH))
                {
                    span[at++] = '%';
                    span[at++] = HexDigit(c >> 4);
                    span[at++] = HexDigit(c & 0xF);
                }
                else
                {
                    span[at++] = c;
                }
            }
        });
    }

    /// <summary>Recovers the caller key from an escaped key; false for hashed keys, which only a stored copy can restore.</summary>
    public static bool TryDecode(string encoded, out string key)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        key = encoded;
        if (encoded.StartsWith(HashPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        if (!encoded.Contains('%', StringComparison.Ordinal))
        {
            return true;
        }

        var builder = new StringBuilder(encoded.Length);
        for (var i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%' && i + 2 < encoded.Length && IsHex(encoded[i + 1]) && IsHex(encoded[i + 2]))
            {
                builder.Append((char)Convert.ToInt32(encoded.Substring(i + 1, 2), 16));
                i += 2;
            }
            else if (encoded[i] == '%')
            {
                return false;
            }
            else
            {
                builder.Append(encoded[i]);
            }
        }

        key = builder.ToString();
        return true;
    }

    /// <summary><c>h_</c> + base64url(SHA-256(UTF-8 value)): 45 characters, safe as a key, not reversible.</summary>
    public static string Hash(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(value), digest);
        return HashPrefix + Base64Url.EncodeToString(digest);
    }

    private static bool MustEscape(char c) =>
        c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c);

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static char HexDigit(int value) => (char)(value < 10 ? '0' + value : 'A' + value - 10);
}
