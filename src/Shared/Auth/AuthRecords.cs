namespace MasterMcp.Auth;

// What the authorization server keeps in Table Storage. Handles (codes, tokens, session ids, state) are never stored,
// only their SHA-256, so a leaked table does not hand out credentials.

/// <summary>A registered OAuth client (dynamic registration).</summary>
public sealed record RegisteredClient(string ClientId, string? SecretHash, string? ClientName, string? ClientUri, IReadOnlyList<string> RedirectUris,
    string TokenEndpointAuthMethod, string? Scope, DateTimeOffset CreatedAt);

/// <summary>An /authorize request waiting for login and consent.</summary>
public sealed record PendingAuthorization(string ClientId, string RedirectUri, string CodeChallenge, string? State, IReadOnlyList<string> Scopes,
    string Resource, string Csrf, string BrowserBinding, DateTimeOffset CreatedAt)
{
    /// <summary>Set when the person approved on the consent page (before the upstream login).</summary>
    public bool Approved { get; init; }
}

/// <summary>An upstream login in progress (keyed by the hash of its state).</summary>
public sealed record LoginState(string Provider, string? PendingId, string ReturnUrl, string Verifier, string Nonce, string BindingHash);

/// <summary>An authorization code (keyed by its hash).</summary>
public sealed record AuthorizationCodeRecord(string ClientId, string RedirectUri, string CodeChallenge, IReadOnlyList<string> Scopes, string Resource,
    string UserIssuer, string UserSubject, string? UserName)
{
    public bool Used { get; init; }
    public string? FamilyId { get; init; }
}

/// <summary>A refresh token (keyed by its hash); rotation marks it used and issues the next one in the same family.</summary>
public sealed record RefreshTokenRecord(string FamilyId, string ClientId, IReadOnlyList<string> Scopes, string Resource, string UserIssuer,
    string UserSubject, string? UserName, DateTimeOffset ExpiresAt)
{
    public bool Used { get; init; }
}

/// <summary>A chain of refresh tokens from one authorization; revoked as a whole on reuse.</summary>
public sealed record TokenFamily(string ClientId, string UserKey, DateTimeOffset CreatedAt)
{
    public bool Revoked { get; init; }
}

/// <summary>What a user approved for a client.</summary>
public sealed record ConsentRecord(IReadOnlyList<string> Scopes, DateTimeOffset GrantedAt);

/// <summary>A browser login session (keyed by the hash of the cookie value).</summary>
public sealed record BrowserSessionRecord(string Issuer, string Subject, string? Name, DateTimeOffset CreatedAt);
