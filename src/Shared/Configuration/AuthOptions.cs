namespace MasterMcp.Configuration;

/// <summary>Client-facing authentication: <c>none</c>, <c>jwt</c> (an external authorization server) or <c>gateway</c> (the built-in one).</summary>
/// <remarks>Setters, not init: the JSON source generator assigns every init-only property, which would replace defaults with null.</remarks>
public sealed record AuthOptions
{
    /// <summary>none, jwt or gateway; null means "not configured" (none in Development, refused elsewhere).</summary>
    public string? Mode { get; set; }

    /// <summary>The protected resource identifier (token audience); defaults to hosting.base_url + "/mcp".</summary>
    public string? Resource { get; set; }

    /// <summary>Scopes advertised in the protected resource metadata (and offered by the built-in server).</summary>
    public IReadOnlyList<string> ScopesSupported { get; set; } = ["mcp"];

    /// <summary>Scopes every token must carry to reach /mcp and /capabilities.</summary>
    public IReadOnlyList<string> RequiredScopes { get; set; } = ["mcp"];

    /// <summary>Allowed difference between our clock and the token issuer's, for exp and nbf.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>jwt mode: the external authorization server.</summary>
    public JwtAuthOptions Jwt { get; set; } = new();

    /// <summary>gateway mode: the identity provider people log in with.</summary>
    public UpstreamOptions Upstream { get; set; } = new();

    /// <summary>jwt mode: the OIDC client the gateway uses to log people in at the browser (same provider as jwt.issuer).</summary>
    public BrowserLoginOptions BrowserLogin { get; set; } = new();

    /// <summary>gateway mode: the private key (PEM RSA/EC or JWK) that signs access tokens; a secret reference.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Key id for <see cref="SigningKey"/>; defaults to its RFC 7638 thumbprint.</summary>
    public string? SigningKeyId { get; set; }

    /// <summary>Keys that signed tokens before a rotation; still accepted and published, never used to sign.</summary>
    public IReadOnlyList<string> PreviousSigningKeys { get; set; } = [];

    public int AccessTokenLifetimeSeconds { get; set; } = 600;
    public int RefreshTokenLifetimeDays { get; set; } = 30;
    public int AuthorizationCodeLifetimeSeconds { get; set; } = 60;
    public int PendingAuthorizationLifetimeSeconds { get; set; } = 600;
    public int BrowserSessionLifetimeMinutes { get; set; } = 480;
    public int ConsentLifetimeDays { get; set; } = 90;

    /// <summary>gateway mode: how long /mcp trusts its last look at whether a token's grant was revoked (on another instance).</summary>
    public int RevocationCheckSeconds { get; set; } = 5;

    /// <summary>
    /// How long /mcp trusts a token whose signature it checked, at most (never past the token's expiry); 0 checks the
    /// signature on every request. Expiry, audience and (gateway mode) revocation are checked on every request either way.
    /// </summary>
    public int TokenCacheSeconds { get; set; } = 60;

    /// <summary>Whether /register accepts RFC 7591 dynamic registrations.</summary>
    public bool DynamicRegistration { get; set; } = true;

    /// <summary>Clients registered in configuration.</summary>
    public IReadOnlyList<StaticClientOptions> Clients { get; set; } = [];

    /// <summary>Client ID Metadata Documents (client_id is an HTTPS URL).</summary>
    public ClientMetadataDocumentOptions ClientMetadataDocuments { get; set; } = new();

    /// <summary>Limits on dynamic registration and the redirect URIs any client may use.</summary>
    public RegistrationOptions Registration { get; set; } = new();
}

/// <summary>The external authorization server whose JWT access tokens the gateway accepts.</summary>
public sealed record JwtAuthOptions
{
    public string? Issuer { get; set; }

    /// <summary>Where the discovery document is; defaults to issuer + /.well-known/openid-configuration.</summary>
    public string? MetadataUrl { get; set; }

    /// <summary>Expected audience; defaults to the resource.</summary>
    public string? Audience { get; set; }
}

/// <summary>The upstream identity provider of the built-in authorization server.</summary>
public sealed record UpstreamOptions
{
    /// <summary>oidc (discovery from issuer) or github (GitHub's OAuth endpoints).</summary>
    public string Preset { get; set; } = "oidc";
    public string? Issuer { get; set; }
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public IReadOnlyList<string>? Scopes { get; set; }
}

/// <summary>The OIDC client for browser logins in jwt mode.</summary>
public sealed record BrowserLoginOptions
{
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }
    public IReadOnlyList<string>? Scopes { get; set; }
}

/// <summary>A client registered in configuration.</summary>
public sealed record StaticClientOptions
{
    public string ClientId { get; set; } = "";

    /// <summary>Secret (a secret reference is best); absent for public clients.</summary>
    public string? ClientSecret { get; set; }
    public string? ClientName { get; set; }
    public IReadOnlyList<string> RedirectUris { get; set; } = [];
    public IReadOnlyList<string>? Scopes { get; set; }
}

/// <summary>How Client ID Metadata Documents are fetched.</summary>
public sealed record ClientMetadataDocumentOptions
{
    public bool Enabled { get; set; } = true;
    public int MaxBytes { get; set; } = 5120;
    public double TimeoutSeconds { get; set; } = 5;
    public int CacheSeconds { get; set; } = 300;

    /// <summary>Development only: exact origins (scheme://host:port) whose documents may live on private or loopback addresses.</summary>
    public IReadOnlyList<string> DevelopmentAllowedOrigins { get; set; } = [];
}

/// <summary>What /register accepts and how often; which redirect URI schemes no client may use (registered or metadata-document).</summary>
public sealed record RegistrationOptions
{
    /// <summary>Schemes refused by default: they run code, read local files, or hand the code to another application (a trailing * is a prefix).</summary>
    public static readonly IReadOnlyList<string> DefaultDeniedRedirectSchemes =
    [
        "javascript", "data", "file", "vbscript", "about", "blob", "filesystem", "view-source", "jar", "intent",
        "mailto", "ftp", "ftps", "sftp", "tel", "sms", "smsto", "mms", "callto", "ws", "wss", "ldap", "gopher",
        "ms-*", "search-ms", "shell",
    ];

    public int MaxRedirectUris { get; set; } = 10;
    public int MaxRedirectUriLength { get; set; } = 512;
    public int MaxDocumentBytes { get; set; } = 8192;

    /// <summary>Registrations one source address may make per minute (across instances with Redis, else per instance); 0 turns the limit off.</summary>
    public int PerAddressPerMinute { get; set; } = 10;

    /// <summary>A registration no token was ever issued to is forgotten after this long.</summary>
    public int UnusedLifetimeHours { get; set; } = 24;

    public IReadOnlyList<string> DeniedRedirectSchemes { get; set; } = DefaultDeniedRedirectSchemes;

    public bool Equals(RegistrationOptions? other) =>
        other is not null && MaxRedirectUris == other.MaxRedirectUris && MaxRedirectUriLength == other.MaxRedirectUriLength
        && MaxDocumentBytes == other.MaxDocumentBytes && PerAddressPerMinute == other.PerAddressPerMinute
        && UnusedLifetimeHours == other.UnusedLifetimeHours && CollectionEquality.Equals(DeniedRedirectSchemes, other.DeniedRedirectSchemes);

    public override int GetHashCode() => HashCode.Combine(MaxRedirectUris, MaxRedirectUriLength, MaxDocumentBytes, PerAddressPerMinute, UnusedLifetimeHours);
}
