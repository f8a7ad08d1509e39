namespace MasterMcp.Credentials;

/// <summary>A backend's OAuth provider, resolved: endpoints, the gateway's client there and what to ask for.</summary>
public sealed record BackendProvider
{
    public required string Kind { get; init; }
    public string? Issuer { get; init; }
    public string? AuthorizationEndpoint { get; init; }
    public required string TokenEndpoint { get; init; }
    public required string ClientId { get; init; }

    /// <summary>The resolved client secret (never logged; <see cref="ToString"/> leaves it out), or null for a public client.</summary>
    public string? ClientSecret { get; init; }

    public IReadOnlyList<string> Scopes { get; init; } = [];

    /// <summary>RFC 8707 resource indicator, when the provider wants one.</summary>
    public string? Resource { get; init; }

    /// <summary>GitHub wants the client credentials in the form body.</summary>
    public bool CredentialsInBody { get; init; }

    /// <summary>Extra authorize parameters (Google: access_type=offline for refresh tokens).</summary>
    public IReadOnlyDictionary<string, string> ExtraAuthorizeParameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Leaves the secret out.</summary>
    public override string ToString() => $"BackendProvider({Kind}, {TokenEndpoint}, client {ClientId})";
}
