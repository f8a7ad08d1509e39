using System.IO.Enumeration;

namespace MasterMcp.Gateway.Access;

/// <summary>
/// Compiled globs of policies and virtual servers: <c>*</c> matches any run of characters (slashes included), <c>?</c>
/// one character; matching is ordinal and case-sensitive, like the public names themselves.
/// </summary>
public sealed class GlobList
{
    /// <summary>Matches nothing.</summary>
    public static readonly GlobList Empty = new([]);

    private readonly HashSet<string> _exact = new(StringComparer.Ordinal);
    private readonly string[] _patterns;
    private readonly bool _any;

    public GlobList(IEnumerable<string>? globs)
    {
        var patterns = new List<string>();
        foreach (var glob in globs ?? [])
        {
            if (glob == "*")
            {
                _any = true;
            }
            else if (glob.AsSpan().IndexOfAny('*', '?', '\\') < 0)
            {
                _exact.Add(glob);
            }
            else
            {
                patterns.Add(glob);
            }
        }
        _patterns = [.. patterns];
    }

    /// <summary>True when no glob was given.</summary>
    public bool IsEmpty => !_any && _exact.Count == 0 && _patterns.Length == 0;

    /// <summary>True when one of the globs matches <paramref name="value"/>.</summary>
    public bool Matches(string value)
    {
        if (_any || _exact.Contains(value))
        {
            return true;
        }
        foreach (var pattern in _patterns)
        {
            if (FileSystemName.MatchesSimpleExpression(pattern, value, ignoreCase: false))
            {
                return true;
            }
        }
        return false;
    }
}
