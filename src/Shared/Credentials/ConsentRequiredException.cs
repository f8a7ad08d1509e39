namespace MasterMcp.Credentials;

/// <summary>The user has no usable token for a backend (never connected, revoked, refresh refused, or the backend said 401): they must connect.</summary>
public sealed class ConsentRequiredException(string backendId, string reason) : Exception($"Backend '{backendId}' needs you to connect your account: {reason}")
{
    public string BackendId { get; } = backendId;

    public string Reason { get; } = reason;

    /// <summary>The consent exception in an exception chain (the MCP client and transports wrap what handlers throw), or null.</summary>
    public static ConsentRequiredException? Find(Exception? exception) => Hosting.ExceptionChain.Find<ConsentRequiredException>(exception);
}
