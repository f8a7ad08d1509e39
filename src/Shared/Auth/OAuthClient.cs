namespace MasterMcp.Auth;

/// <summary>A client as the authorization server sees it, whichever way it was registered.</summary>
public sealed record OAuthClient(string ClientId, string? ClientName, IReadOnlyList<string> RedirectUris, OAuthClientKind Kind, IReadOnlyList<string>? Scopes)
{
    /// <summary>SHA-256 of the secret of a dynamically registered confidential client.</summary>
    public string? SecretHash { get; init; }

    /// <summary>The configured secret (or secret reference) of a statically registered confidential client.</summary>
    public string? SecretReference { get; init; }

    /// <summary>True when the client must authenticate at the token endpoint.</summary>
    public bool Confidential => SecretHash is not null || SecretReference is not null;

    /// <summary>What the consent page shows: the registered name, else the client id; bidi and other controls made visible.</summary>
    public string DisplayName => DisplayText.Neutralise(string.IsNullOrWhiteSpace(ClientName) ? ClientId : ClientName);
}

/// <summary>How a client became known.</summary>
public enum OAuthClientKind
{
    Configured,
    Dynamic,
    MetadataDocument,
}
