using System.Text.RegularExpressions;

namespace MasterMcp.Credentials;

/// <summary>Reads parameters of a Bearer <c>WWW-Authenticate</c> challenge (RFC 6750, RFC 9728 <c>resource_metadata</c>).</summary>
public static partial class WwwAuthenticate
{
    /// <summary>The value of one parameter of the response's Bearer challenge, or null.</summary>
    public static string? Parameter(HttpResponseMessage response, string name)
    {
        foreach (var header in response.Headers.WwwAuthenticate)
        {
            if (!string.Equals(header.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
            {
                continue;
            }
            foreach (Match match in ParameterRegex().Matches(header.Parameter))
            {
                if (string.Equals(match.Groups[1].Value, name, StringComparison.OrdinalIgnoreCase))
                {
                    return match.Groups[2].Success ? match.Groups[2].Value : match.Groups[3].Value;
                }
            }
        }
        return null;
    }

    [GeneratedRegex("""([A-Za-z_]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))""")]
    private static partial Regex ParameterRegex();
}
