namespace MasterMcp.Auth;

/// <summary>An authorization code (keyed by its hash).</summary>
public sealed record AuthorizationCodeRecord(string ClientId, string RedirectUri, string CodeChallenge, IReadOnlyList<string> Scopes, string Resource,
    string UserIssuer, string UserSubject, string? UserName)
{
    public bool Used { get; init; }
    public string? FamilyId { get; init; }
}
