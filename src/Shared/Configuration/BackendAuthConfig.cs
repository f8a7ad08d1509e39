using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace MasterMcp.Configuration;

/// <summary>
/// <c>servers[].auth_config</c>, typed. Which keys apply depends on <c>auth_strategy</c>: the provider keys for
/// <c>delegate_oauth</c>/<c>proxy_oauth</c>, the exchange keys for <c>master_oauth</c>. Secrets are secret references.
/// Compares structurally (scopes included).
/// </summary>
public sealed record BackendAuthConfig
{
    /// <summary>delegate/proxy: <c>github</c>, <c>google</c>, <c>oidc</c> (issuer discovery), <c>oauth2</c> (explicit endpoints) or <c>discover</c> (the backend's protected resource metadata).</summary>
    public string? Provider { get; set; }

    /// <summary>oidc: the issuer (discovery at issuer/.well-known/openid-configuration, then oauth-authorization-server).</summary>
    public string? Issuer { get; set; }

    public string? AuthorizationEndpoint { get; set; }

    /// <summary>oauth2 and master_oauth: the token endpoint.</summary>
    public string? TokenEndpoint { get; set; }

    /// <summary>The gateway's client id at the provider; with <c>discover</c> it may be left out to register dynamically (RFC 7591).</summary>
    public string? ClientId { get; set; }

    /// <summary>The client secret: a secret reference (env:, file:, kv:).</summary>
    public string? ClientSecret { get; set; }

    public IReadOnlyList<string>? Scopes { get; set; }

    /// <summary>RFC 8707 resource indicator sent with authorize, token and refresh requests (discover: the metadata's resource).</summary>
    public string? Resource { get; set; }

    /// <summary>What connecting enables, shown in the <c>{id}__connect</c> tool and the connections page.</summary>
    public string? Description { get; set; }

    /// <summary>Refresh this many seconds before the access token expires.</summary>
    public int RefreshBeforeSeconds { get; set; } = 60;

    /// <summary>master_oauth: <c>rfc8693</c> (default) or <c>entra_obo</c> (jwt-bearer grant with requested_token_use=on_behalf_of).</summary>
    public string? Preset { get; set; }

    /// <summary>master_oauth: the audience parameter of the exchange.</summary>
    public string? Audience { get; set; }

    /// <summary>
    /// master_oauth: forward the client's own token instead of exchanging it. Only for a backend inside the gateway's own
    /// audience (audience must equal it); off by default and warned about at startup.
    /// </summary>
    public bool AllowPassthrough { get; set; }

    /// <inheritdoc />
    public bool Equals(BackendAuthConfig? other) =>
        other is not null
        && (ReferenceEquals(this, other)
            || (Provider == other.Provider
                && Issuer == other.Issuer
                && AuthorizationEndpoint == other.AuthorizationEndpoint
                && TokenEndpoint == other.TokenEndpoint
                && ClientId == other.ClientId
                && ClientSecret == other.ClientSecret
                && CollectionEquality.Equals(Scopes, other.Scopes)
                && Resource == other.Resource
                && Description == other.Description
                && RefreshBeforeSeconds == other.RefreshBeforeSeconds
                && Preset == other.Preset
                && Audience == other.Audience
                && AllowPassthrough == other.AllowPassthrough));

    /// <inheritdoc />
    public override int GetHashCode() =>
        HashCode.Combine(HashCode.Combine(Provider, Issuer, AuthorizationEndpoint, TokenEndpoint, ClientId, ClientSecret, CollectionEquality.GetHashCode(Scopes)),
            HashCode.Combine(Resource, Description, RefreshBeforeSeconds, Preset, Audience, AllowPassthrough));

    /// <summary>Reads <c>auth_config</c>; an absent object gives the defaults.</summary>
    public static BackendAuthConfig From(JsonObject? node) =>
        node is null ? new BackendAuthConfig() : node.Deserialize(BackendAuthConfigJsonContext.Default.BackendAuthConfig) ?? new BackendAuthConfig();
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(BackendAuthConfig))]
internal sealed partial class BackendAuthConfigJsonContext : JsonSerializerContext;
