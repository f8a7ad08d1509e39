namespace MasterMcp.Auth;

// Stored in Table Storage (AuthStore). Handles (codes, tokens, session ids, state) are never stored, only their SHA-256.

/// <summary>A registered OAuth client (dynamic registration).</summary>
public sealed record RegisteredClient(string ClientId, string? SecretHash, string? ClientName, string? ClientUri, IReadOnlyList<string> RedirectUris,
    string TokenEndpointAuthMethod, string? Scope, DateTimeOffset CreatedAt);
