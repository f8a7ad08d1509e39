namespace MasterMcp.Auth;

/// <summary>A refresh token (keyed by its hash); rotation marks it used and issues the next one in the same family.</summary>
public sealed record RefreshTokenRecord(string FamilyId, string ClientId, IReadOnlyList<string> Scopes, string Resource, string UserIssuer,
    string UserSubject, string? UserName, DateTimeOffset ExpiresAt)
{
    public bool Used { get; init; }
}
