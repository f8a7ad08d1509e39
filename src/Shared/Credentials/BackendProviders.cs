using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using MasterMcp.Backends;
using MasterMcp.Secrets;
using MasterMcp.Storage;

namespace MasterMcp.Credentials;

/// <summary>
/// Resolves the OAuth provider of a backend: GitHub and Google presets, a generic OIDC issuer (discovery) or explicit
/// OAuth 2.0 endpoints, or discovery from the backend itself (MCP authorization: a 401 with <c>resource_metadata</c> or
/// RFC 9728 metadata at the well-known path, then RFC 8414/OIDC metadata of its authorization server) with dynamic client
/// registration (RFC 7591) when no client id is configured. Registrations live in Table Storage, so every instance uses
/// the same client; discovered metadata is cached in memory for an hour. Discovery from the backend goes through
/// <see cref="Net.OutboundAddressGuard"/>: URLs the backend's documents name may reach special-purpose (private, loopback…)
/// addresses only when the configured backend itself is on such an address.
/// </summary>
public sealed class BackendProviders(IHttpClientFactory httpClients, ISecretResolver secrets, IStoreFactory stores, TokenProtector protector, TimeProvider time)
{
    /// <summary>The guarded HttpClient for discovery from a backend.</summary>
    public const string DiscoveryHttpClientName = "mcpgw-backend-discovery";

    /// <summary>The table of dynamic registrations.</summary>
    public const string RegistrationsTable = "backendclients";

    private static readonly TimeSpan CacheTime = TimeSpan.FromHours(1);
    private readonly ConcurrentDictionary<string, (BackendProvider Provider, DateTimeOffset At)> _cache = new(StringComparer.Ordinal);

    /// <summary>The provider of a delegate_oauth/proxy_oauth backend; <paramref name="redirectUri"/> is the gateway's callback (used for registration).</summary>
    public async Task<BackendProvider> ResolveAsync(BackendDefinition definition, string redirectUri, CancellationToken cancellationToken)
    {
        var key = definition.Id + "\n" + redirectUri;
        if (_cache.TryGetValue(key, out var cached) && time.GetUtcNow() - cached.At < CacheTime)
        {
            return cached.Provider;
        }
        var provider = await ResolveUncachedAsync(definition, redirectUri, cancellationToken);
        _cache[key] = (provider, time.GetUtcNow());
        return provider;
    }

    /// <summary>Forgets cached metadata (a configuration change).</summary>
    public void Clear() => _cache.Clear();

    private async Task<BackendProvider> ResolveUncachedAsync(BackendDefinition definition, string redirectUri, CancellationToken cancellationToken)
    {
        var config = definition.AuthConfig;
        var path = $"servers['{definition.Id}'].auth_config.client_secret";
        var secret = config.ClientSecret is null ? null : await secrets.ResolveAsync(config.ClientSecret, path, cancellationToken);
        switch (config.Provider)
        {
            case "github":
                return new BackendProvider
                {
                    Kind = "github",
                    Issuer = "https://github.com",
                    AuthorizationEndpoint = "https://github.com/login/oauth/authorize",
                    TokenEndpoint = "https://github.com/login/oauth/access_token",
                    ClientId = config.ClientId!,
                    ClientSecret = secret,
                    Scopes = config.Scopes ?? ["repo", "read:user"],
                    CredentialsInBody = true,
                };
            case "google":
                return new BackendProvider
                {
                    Kind = "google",
                    Issuer = "https://accounts.google.com",
                    AuthorizationEndpoint = "https://accounts.google.com/o/oauth2/v2/auth",
                    TokenEndpoint = "https://oauth2.googleapis.com/token",
                    ClientId = config.ClientId!,
                    ClientSecret = secret,
                    Scopes = config.Scopes ?? ["openid", "email"],
                    ExtraAuthorizeParameters = new Dictionary<string, string> { ["access_type"] = "offline", ["prompt"] = "consent" },
                };
            case "oauth2":
                return new BackendProvider
                {
                    Kind = "oauth2",
                    AuthorizationEndpoint = config.AuthorizationEndpoint,
                    TokenEndpoint = config.TokenEndpoint!,
                    ClientId = config.ClientId!,
                    ClientSecret = secret,
                    Scopes = config.Scopes ?? [],
                    Resource = config.Resource,
                };
            case "oidc":
                {
                    var metadata = await AuthorizationServerMetadataAsync(httpClients.CreateClient(BackendTokenClient.HttpClientName), config.Issuer!, true, cancellationToken);
                    return FromMetadata("oidc", metadata, config.ClientId!, secret, config.Scopes ?? ["openid"], config.Resource);
                }
            default:
                {
                    // The backend's documents may send us elsewhere: to its own network only if the operator put it there.
                    var http = httpClients.CreateClient(DiscoveryHttpClientName);
                    var allowPrivate = await Net.OutboundAddressGuard.IsPrivateHostAsync(definition.Url!.Host, cancellationToken);
                    var (issuer, resource, scopes) = await ProtectedResourceAsync(http, definition.Url!, allowPrivate, cancellationToken);
                    var metadata = await AuthorizationServerMetadataAsync(http, issuer, allowPrivate, cancellationToken);
                    var (clientId, clientSecret) = config.ClientId is not null
                        ? (config.ClientId, secret)
                        : await RegisteredClientAsync(http, metadata, issuer, redirectUri, allowPrivate, cancellationToken);
                    return FromMetadata("discover", metadata, clientId, clientSecret, config.Scopes ?? scopes, config.Resource ?? resource);
                }
        }
    }

    private static BackendProvider FromMetadata(string kind, JsonNode metadata, string clientId, string? secret, IReadOnlyList<string> scopes, string? resource) => new()
    {
        Kind = kind,
        Issuer = metadata["issuer"]?.ToString(),
        AuthorizationEndpoint = metadata["authorization_endpoint"]?.ToString() ?? throw new BackendTokenException("the provider's metadata has no authorization_endpoint", null, 0),
        TokenEndpoint = metadata["token_endpoint"]?.ToString() ?? throw new BackendTokenException("the provider's metadata has no token_endpoint", null, 0),
        ClientId = clientId,
        ClientSecret = secret,
        Scopes = scopes,
        Resource = resource,
    };

    /// <summary>RFC 9728: from the backend's 401 challenge (<c>resource_metadata</c>), else the well-known locations.</summary>
    private static async Task<(string Issuer, string? Resource, IReadOnlyList<string> Scopes)> ProtectedResourceAsync(HttpClient http, Uri backend, bool allowPrivate, CancellationToken cancellationToken)
    {
        var candidates = new List<string>();
        using (var probe = new HttpRequestMessage(HttpMethod.Post, backend) { Content = new StringContent("""{"jsonrpc":"2.0","id":0,"method":"ping"}""", Encoding.UTF8, "application/json") })
        {
            // The configured backend itself: the operator chose it.
            probe.Options.Set(Net.OutboundAddressGuard.AllowPrivate, true);
            probe.Headers.Accept.ParseAdd("application/json");
            probe.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await http.SendAsync(probe, cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized && WwwAuthenticate.Parameter(response, "resource_metadata") is { } url)
            {
                candidates.Add(url);
            }
        }
        var origin = backend.GetLeftPart(UriPartial.Authority);
        var path = backend.AbsolutePath.TrimEnd('/');
        if (path.Length > 0)
        {
            candidates.Add(origin + "/.well-known/oauth-protected-resource" + path);
        }
        candidates.Add(origin + "/.well-known/oauth-protected-resource");
        foreach (var candidate in candidates)
        {
            if (await GetJsonAsync(http, candidate, allowPrivate, cancellationToken) is { } document && document["authorization_servers"] is JsonArray { Count: > 0 } servers)
            {
                var scopes = document["scopes_supported"] is JsonArray s ? s.Select(x => x!.ToString()).ToList() : [];
                return (servers[0]!.ToString(), document["resource"]?.ToString(), scopes);
            }
        }
        throw new BackendTokenException($"backend {backend.GetLeftPart(UriPartial.Path)} publishes no protected resource metadata", null, 0);
    }

    /// <summary>RFC 8414 (path-inserted, then appended) and OpenID discovery.</summary>
    private static async Task<JsonNode> AuthorizationServerMetadataAsync(HttpClient http, string issuer, bool allowPrivate, CancellationToken cancellationToken)
    {
        var uri = new Uri(issuer);
        var origin = uri.GetLeftPart(UriPartial.Authority);
        var path = uri.AbsolutePath.TrimEnd('/');
        foreach (var candidate in new[]
        {
            origin + "/.well-known/oauth-authorization-server" + path,
            origin + "/.well-known/openid-configuration" + path,
            issuer.TrimEnd('/') + "/.well-known/openid-configuration",
        }.Distinct())
        {
            if (await GetJsonAsync(http, candidate, allowPrivate, cancellationToken) is { } document && document["token_endpoint"] is not null)
            {
                return document;
            }
        }
        throw new BackendTokenException($"no authorization server metadata found for issuer {issuer}", null, 0);
    }

    /// <summary>The gateway's registration at a provider: stored once per (issuer, redirect URI), shared by every instance.</summary>
    private async Task<(string ClientId, string? Secret)> RegisteredClientAsync(HttpClient http, JsonNode metadata, string issuer, string redirectUri, bool allowPrivate, CancellationToken cancellationToken)
    {
        var table = stores.GetTable(RegistrationsTable);
        var row = TableKey.Hash(issuer + "\n" + redirectUri);
        var associated = "registration|" + row;
        var stored = await table.GetAsync("registration", row, RegistrationJsonContext.Default.StoredRegistration, cancellationToken);
        if (stored is not null)
        {
            return (stored.Value.ClientId, stored.Value.ProtectedSecret is null ? null : UnprotectSecret(stored.Value.ProtectedSecret, associated, issuer));
        }
        var endpoint = metadata["registration_endpoint"]?.ToString()
            ?? throw new BackendTokenException($"the authorization server {issuer} supports no dynamic client registration; configure auth_config.client_id", null, 0);
        var body = new JsonObject
        {
            ["client_name"] = "Master MCP Server",
            ["redirect_uris"] = new JsonArray(redirectUri),
            ["grant_types"] = new JsonArray("authorization_code", "refresh_token"),
            ["response_types"] = new JsonArray("code"),
            ["token_endpoint_auth_method"] = "client_secret_basic",
            ["application_type"] = "web",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Options.Set(Net.OutboundAddressGuard.AllowPrivate, allowPrivate);
        using var response = await http.SendAsync(request, cancellationToken);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        if (!response.IsSuccessStatusCode || json?["client_id"] is null)
        {
            throw new BackendTokenException($"dynamic client registration at {issuer} failed ({(int)response.StatusCode} {json?["error"]})", json?["error"]?.ToString(), (int)response.StatusCode);
        }
        var clientId = json["client_id"]!.ToString();
        var secret = json["client_secret"]?.ToString();
        try
        {
            await table.AddAsync("registration", row, new StoredRegistration(clientId, secret is null ? null : protector.Protect(secret, associated)),
                RegistrationJsonContext.Default.StoredRegistration, cancellationToken: cancellationToken);
            return (clientId, secret);
        }
        catch (StoreConflictException)
        {
            // Another instance registered at the same moment: everyone uses the stored registration.
            var winner = await table.GetAsync("registration", row, RegistrationJsonContext.Default.StoredRegistration, cancellationToken);
            return (winner!.Value.ClientId, winner.Value.ProtectedSecret is null ? null : UnprotectSecret(winner.Value.ProtectedSecret, associated, issuer));
        }
    }

    // A registration stored under a key this instance lacks (TOKEN_ENC_KEY differs between instances) makes the provider
    // unusable here, said with the key id, instead of an unhandled CryptographicException (a 500).
    private string UnprotectSecret(string protectedSecret, string associated, string issuer)
    {
        try
        {
            return protector.Unprotect(protectedSecret, associated);
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new BackendTokenException($"the stored client registration at {issuer} cannot be read: {ex.Message}", null, 0);
        }
    }

    private static async Task<JsonNode?> GetJsonAsync(HttpClient http, string url, bool allowPrivate, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Options.Set(Net.OutboundAddressGuard.AllowPrivate, allowPrivate);
            using var response = await http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode ? JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken)) : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

/// <summary>A dynamic registration at a backend's provider; the secret is encrypted like tokens.</summary>
public sealed record StoredRegistration(string ClientId, string? ProtectedSecret);

[JsonSerializable(typeof(StoredRegistration))]
internal sealed partial class RegistrationJsonContext : JsonSerializerContext;
