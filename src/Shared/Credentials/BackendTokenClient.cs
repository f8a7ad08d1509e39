using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MasterMcp.Configuration;

namespace MasterMcp.Credentials;

/// <summary>
/// Token endpoint calls to backend providers: authorization code (PKCE), refresh, and token exchange (RFC 8693, or Entra
/// on-behalf-of). Errors carry the provider's error code and status only; token values never reach a message or log.
/// </summary>
public sealed class BackendTokenClient(IHttpClientFactory httpClients, TimeProvider time)
{
    /// <summary>Name of the HttpClient used for provider calls (no redirects).</summary>
    public const string HttpClientName = "mcpgw-backend-oauth";

    /// <summary>Grant type of RFC 8693 token exchange.</summary>
    public const string TokenExchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange";

    /// <summary>Grant type Entra uses for on-behalf-of.</summary>
    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    /// <summary>Exchanges an authorization code (with its PKCE verifier).</summary>
    public Task<TokenSet> ExchangeCodeAsync(BackendProvider provider, string code, string verifier, string redirectUri, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = verifier,
        };
        if (provider.Resource is not null)
        {
            form["resource"] = provider.Resource;
        }
        return PostAsync(provider.TokenEndpoint, provider.ClientId, provider.ClientSecret, provider.CredentialsInBody, form, null, cancellationToken);
    }

    /// <summary>Uses a refresh token; a provider that does not rotate keeps the old refresh token in the result.</summary>
    public async Task<TokenSet> RefreshAsync(BackendProvider provider, string refreshToken, CancellationToken cancellationToken)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshToken };
        if (provider.Resource is not null)
        {
            form["resource"] = provider.Resource;
        }
        var tokens = await PostAsync(provider.TokenEndpoint, provider.ClientId, provider.ClientSecret, provider.CredentialsInBody, form, null, cancellationToken);
        return tokens.RefreshToken is null ? tokens with { RefreshToken = refreshToken } : tokens;
    }

    /// <summary>Token exchange of the user's incoming access token for a token of the backend (master_oauth).</summary>
    public Task<TokenSet> ExchangeAsync(BackendAuthConfig config, string tokenEndpoint, string? clientSecret, string subjectToken, CancellationToken cancellationToken)
    {
        Dictionary<string, string> form;
        if (config.Preset == "entra_obo")
        {
            form = new Dictionary<string, string>
            {
                ["grant_type"] = JwtBearerGrant,
                ["assertion"] = subjectToken,
                ["requested_token_use"] = "on_behalf_of",
            };
        }
        else
        {
            form = new Dictionary<string, string>
            {
                ["grant_type"] = TokenExchangeGrant,
                ["subject_token"] = subjectToken,
                ["subject_token_type"] = "urn:ietf:params:oauth:token-type:access_token",
                ["requested_token_type"] = "urn:ietf:params:oauth:token-type:access_token",
            };
            if (config.Audience is not null)
            {
                form["audience"] = config.Audience;
            }
        }
        if (config.Resource is not null)
        {
            form["resource"] = config.Resource;
        }
        if (config.Scopes is { Count: > 0 })
        {
            form["scope"] = string.Join(' ', config.Scopes);
        }
        return PostAsync(tokenEndpoint, config.ClientId!, clientSecret, false, form, null, cancellationToken);
    }

    private async Task<TokenSet> PostAsync(string endpoint, string clientId, string? secret, bool credentialsInBody, Dictionary<string, string> form, string? accept, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint);
        if (secret is null || credentialsInBody)
        {
            form["client_id"] = clientId;
            if (secret is not null)
            {
                form["client_secret"] = secret;
            }
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.EscapeDataString(clientId) + ":" + Uri.EscapeDataString(secret))));
        }
        request.Content = new FormUrlEncodedContent(form);
        request.Headers.Accept.ParseAdd(accept ?? "application/json");
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            throw new BackendTokenException($"the token endpoint could not be reached ({ex.HttpRequestError})", null, 0);
        }
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            JsonNode? json;
            try
            {
                json = JsonNode.Parse(body);
            }
            catch (System.Text.Json.JsonException)
            {
                json = null;
            }
            var error = json?["error"]?.ToString();
            if (!response.IsSuccessStatusCode || error is not null || json?["access_token"] is null)
            {
                throw new BackendTokenException($"the token endpoint refused the request ({(int)response.StatusCode} {error ?? "no access_token"})", error, (int)response.StatusCode);
            }
            var now = time.GetUtcNow();
            DateTimeOffset? expires = json["expires_in"] is JsonValue v && double.TryParse(v.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                ? now.AddSeconds(seconds)
                : null;
            return new TokenSet
            {
                AccessToken = json["access_token"]!.ToString(),
                RefreshToken = json["refresh_token"]?.ToString(),
                TokenType = json["token_type"]?.ToString() ?? "Bearer",
                ExpiresAt = expires,
                IssuedAt = now,
                Scope = json["scope"]?.ToString(),
            };
        }
    }
}
