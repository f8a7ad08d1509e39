using System.Text.Json.Serialization;

namespace MasterMcp.Credentials;

/// <summary>The tokens one user holds for one backend.</summary>
public sealed record TokenSet
{
    [JsonPropertyName("access_token")]
    public required string AccessToken { get; init; }

    [JsonPropertyName("refresh_token")]
    public string? RefreshToken { get; init; }

    [JsonPropertyName("token_type")]
    public string TokenType { get; init; } = "Bearer";

    [JsonPropertyName("expires_at")]
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When the token was obtained; with <see cref="ExpiresAt"/> it gives the token's lifetime (null for tokens stored before it was recorded).</summary>
    [JsonPropertyName("issued_at")]
    public DateTimeOffset? IssuedAt { get; init; }

    [JsonPropertyName("scope")]
    public string? Scope { get; init; }

    /// <summary>Overrides ToString so a token set can never be logged by accident.</summary>
    public override string ToString() => $"TokenSet(expires {ExpiresAt:O}, refresh {(RefreshToken is null ? "no" : "yes")})";
}
