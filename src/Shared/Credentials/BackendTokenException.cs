namespace MasterMcp.Credentials;

/// <summary>A provider refused or failed a token request. The message names the provider's error code, never a token.</summary>
public sealed class BackendTokenException(string message, string? error, int status) : Exception(message)
{
    /// <summary>The OAuth error code (invalid_grant, …), when the provider sent one.</summary>
    public string? Error { get; } = error;

    /// <summary>The HTTP status of the provider's answer (0 when it could not be reached).</summary>
    public int Status { get; } = status;

    /// <summary>True when the grant itself is dead (the user must consent again), as opposed to a passing failure.</summary>
    public bool GrantIsDead => Error is "invalid_grant" or "invalid_token" or "unauthorized_client" || Status is 400 or 401;
}
