using System.Globalization;
using System.Net;

namespace MasterMcp.Configuration;

/// <summary>Semantic checks of the <c>auth</c> section: which modes an environment may run, and what each mode needs.</summary>
public static class AuthOptionsValidator
{
    /// <summary>True for Development (the only environment that may run without authentication).</summary>
    public static bool IsDevelopment(string environmentName) =>
        string.Equals(environmentName, "Development", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for loopback host names and addresses.</summary>
    public static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    /// <summary>The effective mode: the configured one, else none.</summary>
    public static string EffectiveMode(GatewayOptions options) => options.Auth?.Mode ?? "none";

    /// <summary>
    /// Whether this environment may run in the configured mode: no authentication only in Development on a loopback
    /// address. Checked when the gateway starts (not when a file is merely loaded), so the rule stays with the process
    /// that would serve requests.
    /// </summary>
    public static IEnumerable<(string Path, string Message)> ValidateMode(GatewayOptions options, string environmentName)
    {
        var mode = options.Auth?.Mode;
        if (mode is not (null or "none"))
        {
            yield break;
        }
        if (!IsDevelopment(environmentName))
        {
            yield return ("auth.mode", mode is null
                ? $"is missing: the {environmentName} environment needs authentication ('jwt' or 'gateway'); running without it is only allowed in Development on a loopback hosting.host"
                : $"'none' turns authentication off, which is only allowed in Development (this is {environmentName}); use 'jwt' or 'gateway'");
        }
        else if (!IsLoopbackHost(options.Hosting.Host))
        {
            yield return ("auth.mode", $"'none' (or no auth section) is only allowed on a loopback hosting.host, not '{options.Hosting.Host}'; bind 127.0.0.1 or configure 'jwt' or 'gateway'");
        }
    }

    /// <summary>Every problem of the auth section's content as (dotted path, message).</summary>
    public static IEnumerable<(string Path, string Message)> Validate(GatewayOptions options, string environmentName)
    {
        var auth = options.Auth ?? new AuthOptions();
        var development = IsDevelopment(environmentName);
        var mode = auth.Mode;
        if (mode is null or "none")
        {
            yield break;
        }

        if (!TryHttpUrl(options.Hosting.BaseUrl, development, out var baseUri, out var baseProblem))
        {
            yield return ("hosting.base_url", options.Hosting.BaseUrl is null
                ? $"is required with auth.mode '{mode}': it is the issuer and resource URL clients see"
                : baseProblem);
        }
        else if (baseUri.AbsolutePath != "/")
        {
            yield return ("hosting.base_url", "must not have a path when auth is on (OAuth metadata lives at the host's /.well-known/)");
        }
        if (auth.Resource is not null && !TryHttpUrl(auth.Resource, development, out _, out var resourceProblem))
        {
            yield return ("auth.resource", resourceProblem);
        }
        foreach (var scope in auth.RequiredScopes.Where(s => !auth.ScopesSupported.Contains(s)))
        {
            yield return ("auth.required_scopes", $"scope '{scope}' is not in auth.scopes_supported");
        }
        if (!development && auth.ClientMetadataDocuments.DevelopmentAllowedOrigins.Count > 0)
        {
            yield return ("auth.client_metadata_documents.development_allowed_origins", $"is only allowed in Development (this is {environmentName}): it lets client metadata documents live on private addresses");
        }

        if (mode == "jwt")
        {
            if (!TryHttpUrl(auth.Jwt.Issuer, development, out _, out var issuerProblem))
            {
                yield return ("auth.jwt.issuer", auth.Jwt.Issuer is null ? "is required with auth.mode 'jwt'" : issuerProblem);
            }
            if (auth.BrowserLogin.ClientId is not null && auth.BrowserLogin.ClientSecret is null)
            {
                yield return ("auth.browser_login.client_secret", "is required with browser_login.client_id");
            }
        }

        if (mode == "gateway")
        {
            if (auth.SigningKey is null)
            {
                yield return ("auth.signing_key", "is required with auth.mode 'gateway' (a secret reference to a PEM or JWK private key shared by every instance)");
            }
            if (auth.Upstream.ClientId is null)
            {
                yield return ("auth.upstream.client_id", "is required with auth.mode 'gateway'");
            }
            if (auth.Upstream.ClientSecret is null)
            {
                yield return ("auth.upstream.client_secret", "is required with auth.mode 'gateway'");
            }
            if (auth.Upstream.Preset == "oidc" && !TryHttpUrl(auth.Upstream.Issuer, development, out _, out var upstreamProblem))
            {
                yield return ("auth.upstream.issuer", auth.Upstream.Issuer is null ? "is required with upstream preset 'oidc'" : upstreamProblem);
            }
            var ids = new HashSet<string>(StringComparer.Ordinal);
            for (var i = 0; i < auth.Clients.Count; i++)
            {
                var client = auth.Clients[i];
                var at = "auth.clients[" + i.ToString(CultureInfo.InvariantCulture) + "]";
                if (!ids.Add(client.ClientId))
                {
                    yield return (at + ".client_id", $"client id '{client.ClientId}' is used more than once");
                }
                foreach (var uri in client.RedirectUris)
                {
                    if (Auth.RedirectUris.Problem(uri, auth.Registration.DeniedRedirectSchemes) is { } problem)
                    {
                        yield return (at + ".redirect_uris", $"'{uri}': {problem}");
                    }
                }
            }
        }
    }

    private static bool TryHttpUrl(string? value, bool development, out Uri uri, out string problem)
    {
        uri = null!;
        problem = "";
        if (value is null || !Uri.TryCreate(value, UriKind.Absolute, out var parsed))
        {
            problem = "must be an absolute URL";
            return false;
        }
        uri = parsed;
        if (parsed.Scheme == Uri.UriSchemeHttps)
        {
            return true;
        }
        if (parsed.Scheme == Uri.UriSchemeHttp && development && IsLoopbackHost(parsed.Host))
        {
            return true;
        }
        problem = "must use https (plain http is only allowed for loopback addresses in Development)";
        return false;
    }
}
