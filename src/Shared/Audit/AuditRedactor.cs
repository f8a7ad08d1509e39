using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MasterMcp.Audit;

/// <summary>
/// Best-effort removal of secrets from what an audit event may carry: values under key names that usually hold secrets
/// (token, secret, password, key, authorization, cookie …) are replaced whole, and values that look like secrets (JWTs,
/// bearer/basic credentials, connection-string and URL passwords, long hex or base64 keys, well-known API key formats) are
/// replaced inside any string. A secret under an innocent key in an unusual shape still passes: this is a net, not a guarantee.
/// </summary>
public static partial class AuditRedactor
{
    /// <summary>What replaces a removed value.</summary>
    public const string Mask = "[redacted]";

    /// <summary>Longest arguments text kept in an event; longer text is cut.</summary>
    public const int MaxArgumentChars = 8192;

    /// <summary>tools/call arguments as redacted JSON (null when there are none).</summary>
    public static string? Arguments(IEnumerable<KeyValuePair<string, JsonElement>>? arguments)
    {
        if (arguments is null)
        {
            return null;
        }
        var node = new JsonObject();
        foreach (var (key, value) in arguments)
        {
            node[key] = JsonSerializer.SerializeToNode(value, AuditJsonContext.Default.JsonElement);
        }
        return Serialize(node);
    }

    /// <summary>prompts/get arguments (strings) as redacted JSON (null when there are none).</summary>
    public static string? Arguments(IEnumerable<KeyValuePair<string, string>>? arguments)
    {
        if (arguments is null)
        {
            return null;
        }
        var node = new JsonObject();
        foreach (var (key, value) in arguments)
        {
            node[key] = value;
        }
        return Serialize(node);
    }

    /// <summary>A copy of <paramref name="node"/> with sensitive keys masked and secret-looking values replaced.</summary>
    public static JsonNode? Redact(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var (key, value) in obj)
                {
                    // A sensitive key's value goes whole (a list of tokens too); an object under it is looked into, so
                    // {"auth": {"user": "alice"}} still shows the user.
                    copy[key] = IsSensitiveKey(key) && value is not JsonObject ? (value is null ? null : JsonValue.Create(Mask)) : Redact(value);
                }
                return copy;
            case JsonArray array:
                return new JsonArray([.. array.Select(Redact)]);
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return JsonValue.Create(Text(value.GetValue<string>()));
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>True for key names that usually hold secrets.</summary>
    public static bool IsSensitiveKey(string key) => SensitiveKey().IsMatch(key);

    /// <summary><paramref name="text"/> with every secret-looking value replaced by <see cref="Mask"/>.</summary>
    public static string Text(string text)
    {
        if (text.Length < 8)
        {
            return text;
        }
        text = Jwt().Replace(text, Mask);
        text = SchemeCredential().Replace(text, "$1 " + Mask);
        text = NamedSecret().Replace(text, "$1$2" + Mask);
        text = UrlPassword().Replace(text, "$1" + Mask + "@");
        text = KnownKeyFormat().Replace(text, Mask);
        text = LongHex().Replace(text, Mask);
        return LongBase64().Replace(text, Mask);
    }

    private static string Serialize(JsonObject node)
    {
        var text = Redact(node)!.ToJsonString();
        return text.Length <= MaxArgumentChars ? text : string.Concat(text.AsSpan(0, MaxArgumentChars), "…(truncated)");
    }

    // "key" alone or at the end (apiKey, access_key, ssh-key), and the usual words for secrets anywhere in the name.
    [GeneratedRegex(@"key$|token|secret|passw|pwd|passphrase|authorization|^auth$|cookie|credential|signature|private|session|jwt|bearer|api[-_]?key|^sig$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SensitiveKey();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*", RegexOptions.CultureInvariant)]
    private static partial Regex Jwt();

    [GeneratedRegex(@"\b(Bearer|Basic|Token|Digest)\s+[A-Za-z0-9._~+/=-]{8,}", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SchemeCredential();

    // Connection strings (AccountKey=…;), query strings (access_token=…&) and "password: …" in text.
    [GeneratedRegex(@"\b(AccountKey|SharedAccessKey|SharedAccessSignature|AccessKey|Password|Pwd|sig|secret|client_secret|access_token|refresh_token|id_token|api_key|apikey|token|code_verifier)(\s*[=:]\s*)(?!\[redacted\])[^;&\s""',]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex NamedSecret();

    [GeneratedRegex(@"\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    // GitHub, OpenAI-style, Slack, AWS access key ids, Google API keys.
    [GeneratedRegex(@"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{16,}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35})", RegexOptions.CultureInvariant)]
    private static partial Regex KnownKeyFormat();

    [GeneratedRegex(@"\b[0-9a-fA-F]{32,}\b", RegexOptions.CultureInvariant)]
    private static partial Regex LongHex();

    // 32+ characters of base64/base64url mixing upper case, lower case and digits: keys, not words or paths.
    [GeneratedRegex(@"(?<![A-Za-z0-9+/_-])(?=[A-Za-z0-9+/_-]*[0-9])(?=[A-Za-z0-9+/_-]*[A-Z])(?=[A-Za-z0-9+/_-]*[a-z])[A-Za-z0-9+/_-]{32,}={0,2}", RegexOptions.CultureInvariant)]
    private static partial Regex LongBase64();
}
