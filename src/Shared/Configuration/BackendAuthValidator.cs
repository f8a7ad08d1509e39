namespace MasterMcp.Configuration;

/// <summary>Checks <c>auth_strategy</c> and <c>auth_config</c> of one server entry.</summary>
public static class BackendAuthValidator
{
    /// <summary>The strategies the gateway implements.</summary>
    public static readonly IReadOnlyList<string> Strategies = ["bypass_auth", "delegate_oauth", "proxy_oauth", "master_oauth"];

    /// <summary>Every problem as (dotted path, message); <paramref name="at"/> is the server's path, e.g. <c>servers[0]</c>.</summary>
    public static IEnumerable<(string Path, string Message)> Validate(ServerOptions server, string at, GatewayOptions options)
    {
        var strategy = server.AuthStrategy ?? "bypass_auth";
        if (!Strategies.Contains(strategy))
        {
            yield return (at + ".auth_strategy", $"'{strategy}' is not a strategy: use one of {string.Join(", ", Strategies)}");
            yield break;
        }
        if (strategy == "bypass_auth")
        {
            if (server.AuthConfig is { Count: > 0 })
            {
                yield return (at + ".auth_config", "bypass_auth takes no auth_config; put static credentials in 'headers' as secret references");
            }
            yield break;
        }
        if (string.IsNullOrEmpty(server.Url))
        {
            yield return (at + ".auth_strategy", $"'{strategy}' needs an HTTP backend ('url'): per-user tokens travel in the Authorization header");
        }
        if (AuthOptionsValidator.EffectiveMode(options) == "none")
        {
            yield return (at + ".auth_strategy", $"'{strategy}' needs client authentication (auth.mode jwt or gateway): per-user tokens need to know the user");
        }
        BackendAuthConfig config;
        string? parseError = null;
        try
        {
            config = BackendAuthConfig.From(server.AuthConfig);
        }
        catch (System.Text.Json.JsonException ex)
        {
            config = new BackendAuthConfig();
            parseError = ex.Message;
        }
        if (parseError is not null)
        {
            yield return (at + ".auth_config", "cannot be read: " + parseError);
            yield break;
        }
        var c = at + ".auth_config";
        if (strategy == "master_oauth")
        {
            if (config.AllowPassthrough)
            {
                if (config.Audience is null)
                {
                    yield return (c + ".audience", "allow_passthrough needs 'audience' set to the gateway's own audience (the backend must be inside it)");
                }
                yield break;
            }
            if (config.TokenEndpoint is null && config.Issuer is null)
            {
                yield return (c + ".token_endpoint", "master_oauth needs the exchange endpoint: 'token_endpoint' (or 'issuer' for discovery)");
            }
            if (config.ClientId is null)
            {
                yield return (c + ".client_id", "master_oauth needs the gateway's client id at the exchange endpoint");
            }
            if (config.Preset is not null and not "rfc8693" and not "entra_obo")
            {
                yield return (c + ".preset", "use 'rfc8693' (default) or 'entra_obo'");
            }
            yield break;
        }
        switch (config.Provider)
        {
            case "github" or "google":
                if (config.ClientId is null || config.ClientSecret is null)
                {
                    yield return (c, $"provider '{config.Provider}' needs 'client_id' and 'client_secret'");
                }
                break;
            case "oidc":
                if (config.Issuer is null || config.ClientId is null)
                {
                    yield return (c, "provider 'oidc' needs 'issuer' and 'client_id'");
                }
                break;
            case "oauth2":
                if (config.AuthorizationEndpoint is null || config.TokenEndpoint is null || config.ClientId is null)
                {
                    yield return (c, "provider 'oauth2' needs 'authorization_endpoint', 'token_endpoint' and 'client_id'");
                }
                break;
            case "discover":
                break;
            default:
                yield return (c + ".provider", "needs one of github, google, oidc, oauth2, discover");
                break;
        }
        foreach (var (name, value) in new[] { ("issuer", config.Issuer), ("authorization_endpoint", config.AuthorizationEndpoint), ("token_endpoint", config.TokenEndpoint) })
        {
            if (value is not null && !(Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && AuthOptionsValidator.IsLoopbackHost(uri.Host)))))
            {
                yield return (c + "." + name, "must be an https URL (http only for loopback hosts)");
            }
        }
    }
}
