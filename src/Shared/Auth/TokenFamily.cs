namespace MasterMcp.Auth;

/// <summary>A chain of refresh tokens from one authorization; revoked as a whole on reuse.</summary>
public sealed record TokenFamily(string ClientId, string UserKey, DateTimeOffset CreatedAt)
{
    public bool Revoked { get; init; }
}
