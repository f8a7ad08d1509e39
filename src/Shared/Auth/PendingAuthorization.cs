namespace MasterMcp.Auth;

/// <summary>An /authorize request waiting for login and consent.</summary>
public sealed record PendingAuthorization(string ClientId, string RedirectUri, string CodeChallenge, string? State, IReadOnlyList<string> Scopes,
    string Resource, string Csrf, string BrowserBinding, DateTimeOffset CreatedAt)
{
    /// <summary>Set when the person approved on the consent page (before the upstream login).</summary>
    public bool Approved { get; init; }
}
