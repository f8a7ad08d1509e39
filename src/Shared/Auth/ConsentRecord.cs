namespace MasterMcp.Auth;

/// <summary>What a user approved for a client.</summary>
public sealed record ConsentRecord(IReadOnlyList<string> Scopes, DateTimeOffset GrantedAt);
