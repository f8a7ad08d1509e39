namespace MasterMcp.Admin;

/// <summary>
/// One runtime override as stored: what it concerns (<see cref="Target"/>: a backend id or client id; for a revoked
/// connection the backend id, with the user's storage key in <see cref="UserKey"/>), who made it and when. Never a token.
/// </summary>
public sealed record OverrideRecord(OverrideKind Kind, string Target, string By, DateTimeOffset At)
{
    /// <summary>For <see cref="OverrideKind.ConnectionRevoked"/>: the user's storage key (a hash of issuer and subject).</summary>
    public string? UserKey { get; init; }

    /// <summary>For <see cref="OverrideKind.ConnectionRevoked"/>: the user's subject, for display.</summary>
    public string? Subject { get; init; }
}
