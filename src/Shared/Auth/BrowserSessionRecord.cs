namespace MasterMcp.Auth;

/// <summary>A browser login session (keyed by the hash of the cookie value).</summary>
public sealed record BrowserSessionRecord(string Issuer, string Subject, string? Name, DateTimeOffset CreatedAt)
{
    /// <summary>The login's <c>roles</c> and <c>groups</c> claims (see <see cref="UpstreamLogin.KeptClaims"/>), when it had any.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Claims { get; init; }
}
