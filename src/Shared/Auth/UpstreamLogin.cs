using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Secrets;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace MasterMcp.Auth;

/// <summary>
/// Logs people in at the identity provider: in gateway mode <c>auth.upstream</c> (OIDC discovery, or the GitHub preset),
/// in jwt mode <c>auth.browser_login</c> at <c>auth.jwt.issuer</c>. Authorization code flow with PKCE and nonce; the
/// identity is the provider's issuer and subject.
/// </summary>
public sealed class UpstreamLogin(AuthSettingsProvider settings, OidcMetadataCache metadata, IHttpClientFactory httpClients, ISecretResolver secrets)
{
    /// <summary>GitHub's issuer as used in user keys.</summary>
    public const string GitHubIssuer = "https://github.com";

    /// <summary>The identity the provider vouched for.</summary>
    public sealed record Identity(string Issuer, string Subject, string? Name)
    {
        /// <summary>The id_token's <c>roles</c> and <c>groups</c> claims (what admin.roles matches), by claim name.</summary>
        public IReadOnlyDictionary<string, IReadOnlyList<string>>? Claims { get; init; }
    }

    /// <summary>The id_token claims a browser login keeps: those <c>admin.roles</c> is matched against.</summary>
    public static readonly IReadOnlyList<string> KeptClaims = ["roles", "groups"];

    private sealed record Provider(string Preset, string Issuer, string AuthorizationEndpoint, string TokenEndpoint, string? UserInfoEndpoint,
        string ClientId, string SecretReference, string SecretPath, IReadOnlyList<string> Scopes, string? MetadataUrl);

    /// <summary>True when browser login is configured for the current mode.</summary>
    public bool IsAvailable
    {
        get
        {
            var current = settings.Current;
            return current.Mode switch
            {
                "gateway" => current.Auth.Upstream.ClientId is not null,
                "jwt" => current.Auth.BrowserLogin.ClientId is not null,
                _ => false,
            };
        }
    }

    /// <summary>The origin of the provider's authorization endpoint (for the consent page's form-action), or null when unknown.</summary>
    public async Task<string?> AuthorizationOriginAsync(CancellationToken cancellationToken)
    {
        try
        {
            var provider = await ProviderAsync(cancellationToken);
            return new Uri(provider.AuthorizationEndpoint).GetLeftPart(UriPartial.Authority);
        }
        catch (Exception ex) when (ex is UpstreamLoginException or InvalidOperationException or IOException or HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>The URL to send the browser to.</summary>
    public async Task<string> AuthorizeUrlAsync(string state, string verifier, string nonce, CancellationToken cancellationToken)
    {
        var provider = await ProviderAsync(cancellationToken);
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code",
            ["client_id"] = provider.ClientId,
            ["redirect_uri"] = settings.Current.CallbackUrl,
            ["scope"] = string.Join(' ', provider.Scopes),
            ["state"] = state,
            ["code_challenge"] = TokenCrypto.S256(verifier),
            ["code_challenge_method"] = "S256",
        };
        if (provider.Preset == "oidc")
        {
            query["nonce"] = nonce;
        }
        return QueryHelpers.AddQueryString(provider.AuthorizationEndpoint, query);
    }

    /// <summary>Exchanges the code and returns who logged in.</summary>
    public async Task<Identity> CompleteAsync(string code, string verifier, string nonce, CancellationToken cancellationToken)
    {
        var provider = await ProviderAsync(cancellationToken);
        var secret = await secrets.ResolveAsync(provider.SecretReference, provider.SecretPath, cancellationToken);
        var http = httpClients.CreateClient(OidcMetadataCache.HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Post, provider.TokenEndpoint);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = settings.Current.CallbackUrl,
            ["code_verifier"] = verifier,
        };
        if (provider.Preset == "github")
        {
            form["client_id"] = provider.ClientId;
            form["client_secret"] = secret;
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(provider.ClientId) + ":" + Uri.EscapeDataString(secret))));
        }
        request.Content = new FormUrlEncodedContent(form);
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await http.SendAsync(request, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var json = SafeParse(body);
        if (!response.IsSuccessStatusCode || json?["error"] is not null)
        {
            throw new UpstreamLoginException($"the identity provider refused the code ({(int)response.StatusCode} {json?["error"]})");
        }
        var accessToken = json?["access_token"]?.GetValue<string>();
        if (provider.Preset == "github")
        {
            return await GitHubIdentityAsync(http, provider, accessToken ?? throw new UpstreamLoginException("GitHub returned no access token"), cancellationToken);
        }
        var idToken = json?["id_token"]?.GetValue<string>() ?? throw new UpstreamLoginException("the identity provider returned no id_token (is the 'openid' scope requested?)");
        var config = await metadata.GetAsync(provider.MetadataUrl!, cancellationToken);
        var handler = new JsonWebTokenHandler { MapInboundClaims = false };
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = config.Issuer,
            ValidAudience = provider.ClientId,
            IssuerSigningKeys = config.SigningKeys,
            ClockSkew = settings.Current.ClockSkew,
        };
        var result = await handler.ValidateTokenAsync(idToken, parameters);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException)
        {
            metadata.RequestRefresh(provider.MetadataUrl!);
            parameters.IssuerSigningKeys = (await metadata.GetAsync(provider.MetadataUrl!, cancellationToken)).SigningKeys;
            result = await handler.ValidateTokenAsync(idToken, parameters);
        }
        if (!result.IsValid)
        {
            throw new UpstreamLoginException("the identity provider's id_token is invalid: " + result.Exception?.GetType().Name);
        }
        var jwt = (JsonWebToken)result.SecurityToken;
        if (!jwt.TryGetPayloadValue<string>("nonce", out var tokenNonce) || !TokenCrypto.FixedEquals(tokenNonce, nonce))
        {
            throw new UpstreamLoginException("the id_token's nonce does not match this login");
        }
        jwt.TryGetPayloadValue<string>("name", out var name);
        var kept = KeptClaims.Select(type => (type, values: jwt.Claims.Where(c => c.Type == type).Select(c => c.Value).ToList()))
            .Where(p => p.values.Count > 0).ToDictionary(p => p.type, p => (IReadOnlyList<string>)p.values, StringComparer.Ordinal);
        return new Identity(jwt.Issuer, jwt.Subject, name) { Claims = kept.Count == 0 ? null : kept };
    }

    private static async Task<Identity> GitHubIdentityAsync(HttpClient http, Provider provider, string accessToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, provider.UserInfoEndpoint);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Headers.UserAgent.ParseAdd("master-mcp-server");
        request.Headers.Accept.ParseAdd("application/vnd.github+json");
        using var response = await http.SendAsync(request, cancellationToken);
        var user = SafeParse(await response.Content.ReadAsStringAsync(cancellationToken));
        var id = user?["id"]?.ToString();
        if (!response.IsSuccessStatusCode || string.IsNullOrEmpty(id))
        {
            throw new UpstreamLoginException($"GitHub did not return the user ({(int)response.StatusCode})");
        }
        return new Identity(GitHubIssuer, id, user?["login"]?.ToString());
    }

    private async Task<Provider> ProviderAsync(CancellationToken cancellationToken)
    {
        var current = settings.Current;
        if (current.Mode == "gateway")
        {
            var upstream = current.Auth.Upstream;
            if (upstream.Preset == "github")
            {
                return new Provider("github", GitHubIssuer, "https://github.com/login/oauth/authorize", "https://github.com/login/oauth/access_token",
                    "https://api.github.com/user", upstream.ClientId!, upstream.ClientSecret!, "auth.upstream.client_secret", upstream.Scopes ?? ["read:user"], null);
            }
            return await OidcProviderAsync(upstream.Issuer!, upstream.ClientId!, upstream.ClientSecret!, "auth.upstream.client_secret", upstream.Scopes, cancellationToken);
        }
        if (current.Mode == "jwt" && current.Auth.BrowserLogin.ClientId is { } clientId)
        {
            var login = current.Auth.BrowserLogin;
            return await OidcProviderAsync(current.Auth.Jwt.Issuer!, clientId, login.ClientSecret!, "auth.browser_login.client_secret", login.Scopes, cancellationToken);
        }
        throw new UpstreamLoginException("browser login is not configured (auth.upstream in gateway mode, auth.browser_login in jwt mode)");
    }

    private async Task<Provider> OidcProviderAsync(string issuer, string clientId, string secret, string secretPath, IReadOnlyList<string>? scopes, CancellationToken cancellationToken)
    {
        var url = OidcMetadataCache.DiscoveryUrl(issuer);
        var config = await metadata.GetAsync(url, cancellationToken);
        return new Provider("oidc", config.Issuer, config.AuthorizationEndpoint, config.TokenEndpoint, config.UserInfoEndpoint, clientId, secret, secretPath,
            scopes ?? ["openid", "profile"], url);
    }

    private static JsonNode? SafeParse(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
