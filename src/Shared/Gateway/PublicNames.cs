using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace MasterMcp.Gateway;

/// <summary>
/// Public names of tools and prompts: <c>{prefix}__{name}</c> (or the bare name when the prefix is empty). Every name matches
/// <c>^[A-Za-z0-9_-]{1,64}$</c>; a name that would not is made valid deterministically: invalid characters become '_',
/// and the name is cut to fit with an 8-character hash of the full original appended, so distinct originals stay distinct.
/// </summary>
public static partial class PublicNames
{
    /// <summary>The longest public name many clients accept.</summary>
    public const int MaxLength = 64;

    private const int HashLength = 8;

    /// <summary>The separator between prefix and name.</summary>
    public const string Separator = "__";

    /// <summary>The public name for <paramref name="name"/> of a backend whose prefix is <paramref name="prefix"/>.</summary>
    public static string For(string prefix, string name)
    {
        var candidate = prefix.Length == 0 ? name : prefix + Separator + name;
        if (IsValid(candidate))
        {
            return candidate;
        }
        var sanitized = InvalidChars().Replace(candidate, "_");
        var hash = ShortHash(prefix + "\n" + name);
        var keep = Math.Min(sanitized.Length, MaxLength - HashLength - 1);
        return sanitized[..keep] + "_" + hash;
    }

    /// <summary>True when <paramref name="name"/> is a valid public name.</summary>
    public static bool IsValid(string name) => ValidName().IsMatch(name);

    private static string ShortHash(string value)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(value), digest);
        return Convert.ToHexStringLower(digest[..(HashLength / 2)]);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ValidName();

    [GeneratedRegex("[^A-Za-z0-9_-]")]
    private static partial Regex InvalidChars();
}
