namespace MasterMcp.Auth;

/// <summary>A browser login session (keyed by the hash of the cookie value).</summary>
public sealed record BrowserSessionRecord(string Issuer, string Subject, string? Name, DateTimeOffset CreatedAt);
