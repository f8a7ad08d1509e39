namespace MasterMcp.Gateway;

/// <summary>
/// Reversible resource URI rewriting for prefixed backends: <c>test://static/1</c> of backend prefix <c>ev</c> becomes
/// <c>mcp://ev/test://static/1</c>. The prefix is a valid URI authority (letters, digits, '_' and '-'), the original URI
/// follows unchanged, so URI templates stay templates. Backends with an empty prefix keep their URIs as they are.
/// </summary>
public static class ResourceUris
{
    /// <summary>The scheme of rewritten URIs.</summary>
    public const string Scheme = "mcp://";

    /// <summary>The public URI (or template) for a backend's URI.</summary>
    public static string ToPublic(string prefix, string uri) => prefix.Length == 0 ? uri : Scheme + prefix + "/" + uri;

    /// <summary>Splits a public URI into (prefix, original); false when it is not a rewritten URI.</summary>
    public static bool TryParse(string publicUri, out string prefix, out string original)
    {
        prefix = original = "";
        if (!publicUri.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var rest = publicUri.AsSpan(Scheme.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0)
        {
            return false;
        }
        prefix = rest[..slash].ToString();
        original = rest[(slash + 1)..].ToString();
        return original.Length > 0;
    }
}
